/** Public API of the model layer: U-Net definition, weights I/O, inference backends. */
export {
  UNetConfig, JANSSON_CONFIG, WeightSpec, validateUNetConfig, expectedWeights,
  encoderFilters, decoderFilters, decoderInputChannels,
  KERNEL_SIZE, STRIDE, BN_EPSILON, BN_MOMENTUM, LEAKY_ALPHA, DROPOUT_RATE, DROPOUT_LAYERS,
} from './config';
export { ModelError, BackendUnavailableError } from './errors';
export {
  UNet, WeightMap, WeightTensor, INPUT_NAME, MASK_NAME, OUTPUT_NAME,
  buildUNet, assignWeights, extractWeights, checkWeights, predictMaskTensor,
} from './unet';
export {
  LoadedModel, ModelWeights, VocalSplitMetadata, SaveOptions, MODEL_JSON, WEIGHTS_BIN,
  readModel, saveModel, randomWeights, createRandomModel, unetTopology,
} from './weights-io';
export { buildUNetOnnx, OnnxBuildOptions } from './onnx/graph';
export { FoldedUNet } from './folded-unet';
export { ModelFraming, DEFAULT_FRAMING, MODEL_RESAMPLING, validateModelFraming, describeFraming } from './signal-framing';
export {
  BackendHandle, BackendName, BackendChoice, BackendOptions, BackendProbe, BACKEND_NAMES, AUTO_ORDER,
  createBackend, probeBackends, cachedEngineCount,
} from './backends';
