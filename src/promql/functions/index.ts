// PromQL functions: the table the parser checks calls against and the engine calls through.
// Importing this module registers every function (each file registers its own).
import './math.ts';
import './date.ts';
import './rate.ts';
import './over_time.ts';
import './absent.ts';
import './labels.ts';
import './histogram.ts';

export { FUNCTIONS, registerFunction } from './registry.ts';
export type { FunctionDef, FnArg, FnContext, FnResult, ArgType, InstantArg, RangeArg, ScalarArg, StringArg, VectorResult } from './types.ts';
export { quantile, bucketQuantile, bucketFraction, type Bucket } from './quantile.ts';
export { kahanAdd, kahanValue, newKahan, type KahanAcc } from './kahan.ts';
export { goSortIndexes } from './gosort.ts';
export { invalidQuantileWarning } from './over_time.ts';
