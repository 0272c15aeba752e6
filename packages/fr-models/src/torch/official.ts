/**
 * The weights registry: every official PyTorch file the paper family publishes and the workbench imports, described
 * once — its published name, where it is published, its SHA-256 where one can be established, what it is imported as
 * (kind → architecture and input convention), the name it gets in models.yaml, and which rows / FR-model columns of
 * the AI-KD paper's tables (Babnik et al. 2024; `experiments/reference/paper-pauc.csv`) need it.
 *
 * SHA-256: none of these files is published with a checksum, and none could be downloaded here, so no hash is
 * claimed (`sha256` stays undefined: inventing one would make every real file look wrong). The first import records
 * the file's SHA-256 in models.yaml and `aikd models list` shows it; give a hash here only from the publisher.
 *
 * The paper's other FR models are not PyTorch iResNet checkpoints and are brought as ONNX (catalogue.ts presets):
 * AdaFace IR-101 (`adaface_ir101_webface12m.ckpt`, a Lightning checkpoint of another architecture), TransFace
 * (ViT `.pt`) and SwinFace (`.pt`).
 */
import type { TorchArchitectureName } from './architectures.ts';
import { TORCH_MODEL_KINDS, kindInput, type TorchModelKindId } from './kinds.ts';
import type { OnnxPreprocess } from '../types.ts';

export interface OfficialWeights {
  /** Registry id. */
  id: string;
  title: string;
  /** The file as published (its folder too where the folder is what names it). */
  file: string;
  /** Where it is published: who, the page that links it, and the link. */
  published: { by: string; page: string; link: string };
  /** SHA-256 of the published file, only where the publisher states it (see the module comment). */
  sha256?: string;
  /** `aikd models import FILE --as <kind>`. */
  kind: TorchModelKindId;
  architecture: TorchArchitectureName;
  /** The models.yaml entry an import records it as: the name FR models, methods' --weights and experiments use. */
  model: string;
  /** What of the AI-KD paper's tables needs it: method rows (the method's own network) and FR-model columns. */
  tables: { rows: string[]; frModels: string[]; note?: string };
}

const INSIGHTFACE_ZOO = 'https://github.com/deepinsight/insightface/tree/master/recognition/arcface_torch#model-zoo';
const AIKD_ROWS = ['AI-KD(SER-FIQ)', 'AI-KD(CR-FIQA)', 'AI-KD(DifFIQA(R))'];

export const OFFICIAL_WEIGHTS: readonly OfficialWeights[] = [
  {
    id: 'glint360k-cosface-r100',
    title: 'CosFace iResNet-100 trained on Glint360K (insightface)',
    file: 'glint360k_cosface_r100_fp16_0.1/backbone.pth',
    published: { by: 'insightface arcface_torch model zoo (OneDrive, Baidu Pan code e8pw)', page: INSIGHTFACE_ZOO, link: 'https://1drv.ms/u/s!AswpsDO2toNKq0lWY69vN58GR6mw?e=p9Ov5d' },
    kind: 'cosface',
    architecture: 'iresnet100',
    model: 'cosface',
    tables: {
      rows: ['FaceQAN', 'SER-FIQ', ...AIKD_ROWS],
      frModels: ['CosFace'],
      note: 'the backbone of FaceQAN, SER-FIQ and the AI-KD students trained here (AI-KD ships it as weights/r100.pth); DifFIQA(R) carries its own copy',
    },
  },
  {
    id: 'crfiqa-l',
    title: 'CR-FIQA(L): iResNet-100 + qs head, MS1MV2',
    file: '181952backbone.pth',
    published: { by: 'fdbtrs/CR-FIQA README, "Pretrained model" (Google Drive folder CR-FIQA(L))', page: 'https://github.com/fdbtrs/CR-FIQA#pretrained-model', link: 'https://drive.google.com/drive/folders/1siy_3eQSBuIV6U6_9wgGtbZG2GMgVLMy' },
    kind: 'crfiqa',
    architecture: 'crfiqa-iresnet100',
    model: 'crfiqa-l',
    tables: { rows: ['CR-FIQA', 'AI-KD(CR-FIQA)'], frModels: [], note: 'the AI-KD paper does not say (L) or (S); the workbench assumes (L), the stronger model' },
  },
  {
    id: 'crfiqa-s',
    title: 'CR-FIQA(S): iResNet-50 + qs head, CASIA-WebFace',
    file: '32572backbone.pth',
    published: { by: 'fdbtrs/CR-FIQA README, "Pretrained model" (Google Drive folder CR-FIQA(S))', page: 'https://github.com/fdbtrs/CR-FIQA#pretrained-model', link: 'https://drive.google.com/drive/folders/13bE4LP303XA_IzL1YOgG5eN0c8efHU9h' },
    kind: 'crfiqa',
    architecture: 'crfiqa-iresnet50',
    model: 'crfiqa-s',
    tables: { rows: [], frModels: [], note: 'not in the AI-KD tables (CR-FIQA’s own paper reports it)' },
  },
  {
    id: 'magface-r100',
    title: 'MagFace iResNet-100, MS1MV2',
    file: 'magface_epoch_00025.pth',
    published: { by: 'IrvingMeng/MagFace README, "Model Zoo" (iResNet100, MS1MV2; Google Drive, Baidu Pan code wsw3)', page: 'https://github.com/IrvingMeng/MagFace#model-zoo', link: 'https://drive.google.com/file/d/1Bd87admxOZvbIOAyTkGEntsEz3fyMt7H/view' },
    kind: 'magface',
    architecture: 'magface-iresnet100',
    model: 'magface',
    tables: { rows: ['MagFace'], frModels: [] },
  },
  {
    id: 'diffiqa-r',
    title: 'DifFIQA(R): CosFace iResNet-100 + linear head, distilled from DifFIQA on VGGFace2',
    file: 'diffiqa(r).pth',
    published: {
      by: 'LSIbabnikz/DifFIQA, diffiqa(r)/README.md "Model Weights" (SharePoint)',
      page: 'https://github.com/LSIbabnikz/DifFIQA/tree/main/diffiqa(r)#3-model-weights',
      link: 'https://unilj-my.sharepoint.com/:u:/g/personal/zb4290_student_uni-lj_si/EdUoWI2DxdFAsgr1qz_Dna4Bz5EEesU407_6yYe7HXYCUQ?e=XRahXp',
    },
    kind: 'diffiqa-r',
    architecture: 'diffiqa-r-iresnet100',
    model: 'diffiqa-r',
    tables: { rows: ['DifFIQA(R)', 'AI-KD(DifFIQA(R))'], frModels: [] },
  },
  {
    id: 'aikd-best',
    title: 'AI-KD student: CosFace iResNet-100 fine-tuned + MLP quality head',
    file: 'aikd-best.pth',
    published: {
      by: 'LSIbabnikz/AI-KD README §2.2 "Inference" (SharePoint folder of the paper’s models)',
      page: 'https://github.com/LSIbabnikz/AI-KD#22-inference',
      link: 'https://unilj-my.sharepoint.com/:f:/g/personal/zb4290_student_uni-lj_si/Er2YsYeGrxxChZhwDc9BhvcBKo8Uxfv25jRQnEu3CNqhPA?e=HCHKmQ',
    },
    kind: 'aikd',
    architecture: 'aikd-iresnet100',
    model: 'aikd-best',
    tables: {
      rows: AIKD_ROWS,
      frModels: [],
      note: 'the name AI-KD’s trainer and inference config use for a student; the repository does not record which teacher a published file distils: import each under its own --name (e.g. aikd-crfiqa)',
    },
  },
];

/** The registry entry an import of this kind and architecture is (the first, when several share them). */
export function officialFor(kind: string, architecture: string): OfficialWeights | undefined {
  return OFFICIAL_WEIGHTS.find((w) => w.kind === kind && w.architecture === architecture);
}

/** The registry entry a models.yaml name stands for. */
export function officialByModel(model: string): OfficialWeights | undefined {
  return OFFICIAL_WEIGHTS.find((w) => w.model === model);
}

/** The entry's input convention (its kind's). */
export function officialInput(w: OfficialWeights): OnnxPreprocess {
  return kindInput(TORCH_MODEL_KINDS[w.kind]);
}

/** The exact command that imports the published file, run in the folder it was downloaded to. */
export function importCommand(w: OfficialWeights): string {
  const quoted = /[^A-Za-z0-9._/-]/.test(w.file) ? `'${w.file}'` : w.file;
  return `aikd models import ${quoted} --as ${w.kind}`;
}

/** "CR-FIQA(L) `181952backbone.pth` (published by …: link)": how messages name an official file. */
export function describeOfficial(w: OfficialWeights): string {
  return `${w.title}: ${w.file} (published by ${w.published.by}: ${w.published.link})`;
}
