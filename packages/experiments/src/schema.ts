/**
 * Experiment files (`experiments/*.yaml`): datasets × FR models × quality methods × test conditions × EDC settings,
 * plus the optional alignment-sensitivity sweep. The file's shape is validated here with line-numbered errors (core's
 * parseYamlConfig); what its names mean (methods, parameters, FR models, procedures, datasets) by the grid validation
 * (validate.ts).
 */
import { z, slug } from '@aikd/core';
import { procedureNames, type ProcedureName } from '@aikd/alignment';

export type { ProcedureName };

const seed = z.union([z.number().int(), z.string().min(1)]);
const params = z.record(z.string(), z.unknown()).default({});

const conditionObject = z
  .object({
    /** Label in tables and file names (default: the procedure, with its strength when it has one). */
    name: slug.optional(),
    procedure: z.enum(procedureNames),
    params,
    /** Seed of the procedure's random draws (default: the experiment seed). */
    seed: seed.optional(),
  })
  .strict();
export const conditionSchema = z.union([z.enum(procedureNames), conditionObject]);

const datasetObject = z
  .object({
    name: slug,
    /** Identity-disjoint split: evaluate on the `test` part, train students and learned methods on the rest. */
    split: z.object({ test_fraction: z.number().gt(0).lt(1), seed: seed.default(0) }).strict().optional(),
    /** Only images with these attributes (`key=value[,value]`), e.g. a sanity subset. */
    filter: z.array(z.string()).optional(),
  })
  .strict();
export const datasetRefSchema = z.union([slug, datasetObject]);

const trainObject = z
  .object({
    /** Training data (default: the train part of the first split dataset). */
    dataset: slug.optional(),
  })
  .catchall(z.unknown());

/**
 * A method id of the catalogue, or `<id>:<run-id>` of a method trained before: checked against the method catalogue
 * (with its parameters, teacher and training) by the grid validation (validate.ts), which runs when the file loads.
 */
export const methodIdSchema = z.string().min(1);

const baseMethodObject = z
  .object({
    /** Method id of the catalogue (`aikd methods`), or `<id>:<run-id>` of a method trained before. */
    id: methodIdSchema,
    /** Label in tables (default: the id; `aikd(<teacher>)` for students). */
    name: z.string().regex(/^[a-z0-9][a-z0-9()._-]*$/, 'a label of lower-case letters, digits and ()._-').optional(),
    /** The method's own FR backbone (default: `defaults.method_fr_model`). */
    fr_model: z.string().optional(),
    params,
    /** Official weights (ONNX) for learned methods. */
    onnx: z.string().optional(),
    /**
     * Official weights of a method whose network is published as a PyTorch checkpoint (crfiqa, diffiqa-r, magface,
     * aikd): a name from `aikd models import` (models.yaml, e.g. crfiqa-l), or a .pth / .onnx file.
     */
    weights: z.string().min(1).optional(),
    /** Train it within the experiment (learned methods, AI-KD students). */
    train: trainObject.optional(),
  })
  .strict();
type MethodInput = z.input<typeof baseMethodObject> & { teacher?: string | MethodInput };
export const methodSchema: z.ZodType<MethodInput | string> = z.lazy(() =>
  z.union([methodIdSchema, baseMethodObject.extend({ teacher: z.union([methodIdSchema, methodSchema]).optional() }).strict()]),
) as never;

export const experimentSchema = z
  .object({
    name: slug,
    description: z.string().optional(),
    seed: seed.default(0),
    datasets: z.array(datasetRefSchema).min(1),
    /** FR models whose comparisons the EDCs are computed on. */
    fr_models: z.array(z.string().min(1)).min(1),
    methods: z.array(methodSchema).min(1),
    conditions: z.array(conditionSchema).min(1).default(['proper', 'landmark-jitter']),
    edc: z
      .object({
        modes: z.array(z.enum(['iso', 'recomputed'])).min(1).default(['iso']),
        fmr: z.array(z.number().gt(0).lt(1)).min(1).default([1e-3]),
        discard_limits: z.array(z.number().gt(0).max(1)).min(1).default([0.2, 0.3]),
        pair_quality: z.enum(['min', 'mean', 'max']).default('min'),
        /**
         * 95 % bootstrap intervals of every pAUC (identity-cluster where the dataset knows identities): replicates
         * (0 = none) and seed. Evaluation only: not part of the experiment's id, so changing it re-runs no unit.
         */
        bootstrap: z
          .object({ replicates: z.number().int().min(0).default(1000), seed: z.union([z.number().int(), z.string().min(1)]).default(0) })
          .strict()
          .default({ replicates: 1000, seed: 0 }),
      })
      .strict()
      .default({ modes: ['iso'], fmr: [1e-3], discard_limits: [0.2, 0.3], pair_quality: 'min', bootstrap: { replicates: 1000, seed: 0 } }),
    sensitivity: z
      .object({
        /** landmark-jitter strengths p (px) to sweep. */
        landmark_jitter: z.array(z.number().min(0)).default([0, 1, 2, 3, 4, 6]),
        /** Other procedures to include. */
        procedures: z.array(z.enum(procedureNames)).default(['detector-swap', 'bbox']),
        /** Restrict the sweep (default: all of the experiment's). */
        fr_models: z.array(z.string()).optional(),
        methods: z.array(z.string()).optional(),
        datasets: z.array(slug).optional(),
      })
      .strict()
      .optional(),
    defaults: z
      .object({
        /** Backbone of methods that need one when they do not say (FaceQAN, SER-FIQ, embedding-norm …). */
        method_fr_model: z.string().default('mobileface'),
      })
      .strict()
      .default({ method_fr_model: 'mobileface' }),
    /** Methods, FR models or datasets whose files are missing are skipped with a note (else: an error). */
    skip_unavailable: z.boolean().default(true),
  })
  .strict();

export type ExperimentInput = z.input<typeof experimentSchema>;
export type Experiment = z.output<typeof experimentSchema>;
export type MethodSpecInput = MethodInput | string;
