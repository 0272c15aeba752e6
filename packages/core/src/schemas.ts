import { z } from 'zod';

/** Dataset and run names: lower-case words joined by '-', '_' or '.'. */
export const slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'a name of lower-case letters, digits, ".", "_" or "-"');

export const datasetFormats = ['lfw', 'xqlfw', 'insightface-bin', 'pair-list', 'adience', 'folder'] as const;
export type DatasetFormat = (typeof datasetFormats)[number];

export const datasetEntrySchema = z
  .object({
    name: slug,
    format: z.enum(datasetFormats),
    /** Files and folders, relative to the data root (AIKD_DATA) unless absolute. Keys depend on the format. */
    paths: z.record(z.string(), z.string()),
    /** True when images are already aligned crops (e.g. 112×112 ArcFace crops in .bin files). */
    aligned: z.boolean().default(false),
    /** Crop size of already-aligned images. */
    crop_size: z.number().int().positive().optional(),
    /** Optional side file with 5-point landmarks per image: lines `<image> x1 y1 … x5 y5 [score]` (IJB-C style). */
    landmarks: z.string().optional(),
    /** Optional CSV with a header; column `image` names the image, the others become its attributes
     * (`identity` overrides the identity label). The demo set records degradation and severity here. */
    attributes: z.string().optional(),
    /** Built by the workbench itself (`aikd datasets build NAME`), not brought by the user. */
    builtin: z.boolean().default(false),
    /** What the protocol should give, checked by `aikd datasets check`. */
    expected: z
      .object({ images: z.number().int().optional(), pairs: z.number().int().optional(), folds: z.number().int().optional(), mated: z.number().int().optional() })
      .strict()
      .optional(),
    /** Format-specific options (e.g. Adience pair subsampling). */
    options: z.record(z.string(), z.unknown()).default({}),
    notes: z.string().optional(),
  })
  .strict();
export type DatasetEntry = z.output<typeof datasetEntrySchema>;

export const datasetsFileSchema = z
  .object({
    datasets: z.array(datasetEntrySchema).superRefine((list, ctx) => {
      const seen = new Map<string, number>();
      list.forEach((d, i) => {
        if (seen.has(d.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate dataset name "${d.name}" (also entry ${seen.get(d.name)})` });
        seen.set(d.name, i);
      });
    }),
  })
  .strict();
export type DatasetsFile = z.output<typeof datasetsFileSchema>;
