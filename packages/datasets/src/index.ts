export * from './types.ts';
export * from './image-codec.ts';
