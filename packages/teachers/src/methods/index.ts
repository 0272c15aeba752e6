/**
 * The method folders of this package, one descriptor each (`<folder>/descriptor.ts`). Adding a method = adding a
 * folder with its descriptor and naming it here; everything else (CLI help, `methods list`, experiments, the
 * dashboard's labels, the README's table) reads the catalogue.
 */
import type { MethodDescriptor } from '../catalogue/types.ts';
import { serfiq } from './serfiq/descriptor.ts';
import { faceqan } from './faceqan/descriptor.ts';
import { magface } from './magface/descriptor.ts';
import { embeddingNorm } from './embedding-norm/descriptor.ts';
import { crfiqa } from './crfiqa/descriptor.ts';
import { sddfiqa } from './sddfiqa/descriptor.ts';
import { faceqnet } from './faceqnet/descriptor.ts';
import { diffiqa } from './diffiqa/descriptor.ts';
import { diffiqaR } from './diffiqa-r/descriptor.ts';

export const BUILTIN_METHODS: readonly MethodDescriptor[] = [serfiq, faceqan, magface, embeddingNorm, crfiqa, sddfiqa, faceqnet, diffiqa, diffiqaR];
