import { Command, InvalidArgumentError, intArg, numberArg } from '@aikd/core/cli';
const positive = (name: string) => numberArg(name, (x) => x > 0, 'a positive number');
const choiceArg = (name: string, choices: string[]) => (v: string) => {
  if (!choices.includes(v)) throw new InvalidArgumentError(`${name}: expected one of ${choices.join(', ')}, got "${v}"`);
  return v;
};
const seedArg = intArg('--seed');

/** `aikd train`: an AI-KD student from a YAML config, every key overridable by a flag. */
export function register(program: Command): void {
  program
    .command('train')
    .description('train an AI-KD student (alignment-invariant FIQA by knowledge distillation) → a run; score with --method aikd:<run-id>')
    .option('--config <file.yaml>', 'training configuration (experiments/<file>.yaml); flags override its keys')
    .option('--method <name>', 'teacher FIQA method giving the quality labels (labels.method), e.g. serfiq, faceqan, crfiqa:<run-id>')
    .option('--labels-fr-model <name>', 'FR model the teacher method runs on (labels.fr_model; default: the backbone)')
    .option('--scores <file>', 'precomputed teacher scores (Arrow/Parquet with image_id, quality) instead of scoring here')
    .option('--fr-model <name>', 'FR model to distil (model.backbone): mobileface, faceres, faceres-deep, faceapi-resnet, or an ONNX iResNet (cosface, onnx:<path>)')
    .option('--dataset <name>', 'training dataset from datasets.yaml (data.dataset)')
    .option('--test-identities <fraction>', 'hold out this fraction of identities (identity-disjoint test split)', numberArg('--test-identities', (x) => x >= 0 && x < 1, 'a fraction in [0, 1)'))
    .option('--epochs <n>', 'epochs', intArg('--epochs', 1))
    .option('--batch <n>', 'batch size', intArg('--batch', 1))
    .option('--micro-batch <n>', 'images per forward/backward pass (gradient accumulation up to --batch)', intArg('--micro-batch', 1))
    .option('--lr <x>', 'learning rate of both groups', positive('--lr'))
    .option('--lr-head <x>', 'learning rate of the quality head', positive('--lr-head'))
    .option('--lr-backbone <x>', 'learning rate of the backbone', positive('--lr-backbone'))
    .option('--augment <per-face>', 'label bank: this many seeded degraded variants of every training face (data.augment.per_face; families: the config\'s or blur, motion-blur, downup, noise, jpeg, exposure, occlusion, pose), each scored once by the teacher', intArg('--augment', 1))
    .option('--p <px>', 'landmark-jitter p in source pixels', numberArg('--p', (x) => x >= 0, 'a number >= 0'))
    .option('--seed <n>', 'seed', seedArg)
    .option('--trainable-tensors <n>', 'train only the last N parameter tensors of the backbone (reference: 100)', intArg('--trainable-tensors', 0))
    .option('--train-depth <depth>', 'how much of the backbone trains: head, last-block, last-stage or all (per backbone: fr-models README); replaces --trainable-tensors')
    .option('--val-every <n>', 'validate every N steps (default 10 % of an epoch)', intArg('--val-every', 1))
    .option('--val-criterion <loss>', 'validation loss choosing the best checkpoint: quality (reference) or total', choiceArg('--val-criterion', ['quality', 'total']))
    .option('--val-split <how>', 'validation hold-out: identity (whole training identities) or stratified (reference: 1 % of images in quality order)', choiceArg('--val-split', ['identity', 'stratified']))
    .option('--clip <what>', "what the clipping norm counts: trainable (the optimizer's tensors) or reference (also the frozen tensors' accumulating gradients × AMP loss scale, as the reference code)", choiceArg('--clip', ['trainable', 'reference']))
    .option('--bn <mode>', 'student BatchNorm while training: train (batch statistics, reference) or frozen (running statistics); only ONNX iResNets have real BN layers', choiceArg('--bn', ['train', 'frozen']))
    .option('--lr-find', 'instead of training: ramp the lr of both groups exponentially over --lr-find-steps steps, store loss vs lr (a run of kind lr-find) and suggest an lr')
    .option('--lr-find-steps <n>', 'steps of the lr search', intArg('--lr-find-steps', 3), 200)
    .option('--lr-min <x>', 'first lr of the search', positive('--lr-min'), 1e-6)
    .option('--lr-max <x>', 'last lr of the search', positive('--lr-max'), 1)
    .option('--name <name>', 'run name')
    .option('--resume <run-id>', 'continue a killed/stopped run from its last checkpoint (its own configuration)')
    .option('--max-steps <n>', 'stop after this many steps in total (the run can be resumed later)', intArg('--max-steps', 1))
    .action(async (o: Record<string, unknown>) => {
      const { trainCommand } = await import('./train/command.ts');
      await trainCommand(o);
    });
}
