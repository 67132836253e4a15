// The data model shared by every subsystem: labels, matchers, sample batches. Depends on nothing.
export * from './labels.ts';
export * from './names.ts';
export * from './validate.ts';
export * from './matchers.ts';
export * from './batch.ts';
export * from './re2.ts';
export * from './re2syntax.ts';
