export * from './provenance.ts';
export * from './arrow-files.ts';
export * from './runs.ts';
export * from './catalogue.ts';
export type * from './kinds.ts';
export * from './stability.ts';
