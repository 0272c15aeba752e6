export * from './errors.ts';
export * from './fs.ts';
export * from './hash.ts';
export * from './rng.ts';
export * from './config.ts';
export * from './paths.ts';
export * from './output.ts';
export * from './schemas.ts';
export { z } from 'zod';
