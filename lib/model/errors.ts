import { VocalSplitError } from '../errors';

/**
 * A model folder cannot be used: missing or corrupt model.json / weights, a weight missing or of
 * the wrong shape. The message always names the file (and the weight) at fault.
 * Codes: MODEL_NOT_FOUND, MODEL_CORRUPT, MODEL_WEIGHT_MISSING, MODEL_WEIGHT_SHAPE, MODEL_WEIGHT_UNEXPECTED,
 * UNSUPPORTED_MODEL (framing this code cannot run).
 */
export class ModelError extends VocalSplitError {}

/** A forced inference backend cannot run on this machine (package absent, native load failed). */
export class BackendUnavailableError extends VocalSplitError {}
