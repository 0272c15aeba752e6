/** File names and limits shared by the loaders. */

/** The dataset registry at the workspace root. */
export const DATASETS_FILE = 'datasets.yaml';

/** File extensions taken as images when a folder is scanned. */
export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.tif', '.tiff']);

/** Paths in datasets.yaml starting with this are inside the workbench's state folder (AIKD_HOME). */
export const AIKD_HOME_PREFIX = '$AIKD_HOME/';
/** Explicit form of the default: relative to the data root (AIKD_DATA). */
export const AIKD_DATA_PREFIX = '$AIKD_DATA/';

/**
 * Largest pair list a generated protocol (adience, folder) may produce before asking for subsampling options:
 * all-vs-all over Adience's ~26k faces would be 350 M pairs, far beyond what the evaluation needs or memory holds.
 */
export const DEFAULT_MAX_PAIRS = 5_000_000;

/** Standard protocol: 10 folds, in file order (sklearn KFold without shuffling). */
export const DEFAULT_FOLDS = 10;
