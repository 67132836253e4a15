// PromQL: the query language front end and evaluator.
export { ParseError } from './errors.ts';
export { parseLabelSelector, parseSeriesSelector } from './selector.ts';
export { unquoteString } from './strings.ts';
export type * from './ast.ts';
export { unwrapParens } from './ast.ts';
export { parseExpr } from './parser.ts';
export { formatExpr, exprString, exprToJSON } from './format.ts';
export { exprType } from './parser.ts';
export { Engine, PromQLError } from './engine/index.ts';
export type { EngineOptions, QueryOptions, QueryValue, QueryResult, QueryStats } from './engine/index.ts';
export type { FunctionDef, FnArg, FnContext, FnResult, ArgType } from './functions/types.ts';
