/** Public API of the model layer: U-Net definition, weights I/O, inference backends. */
export {
  UNetConfig, JANSSON_CONFIG, WeightSpec, validateUNetConfig, expectedWeights,
  encoderFilters, decoderFilters, decoderInputChannels,
  KERNEL_SIZE, STRIDE, BN_EPSILON, BN_MOMENTUM, LEAKY_ALPHA, DROPOUT_RATE, DROPOUT_LAYERS,
} from './config';
export { ModelError, BackendUnavailableError } from './errors';
export { UNet, INPUT_NAME, MASK_NAME, OUTPUT_NAME, buildUNet, assignWeights, extractWeights, predictMaskTensor } from './unet';
export { WeightMap, WeightTensor, checkWeights } from './weight-map';
export { LoadedModel, ModelInfo, ModelWeights, VocalSplitMetadata, MODEL_JSON, WEIGHTS_BIN, readModel, readModelInfo } from './model-folder';
export { SaveOptions, saveModel, randomWeights, createRandomModel, unetTopology } from './weights-io';
export { buildUNetOnnx, OnnxBuildOptions } from './onnx/graph';
export { FoldedUNet } from './folded-unet';
export { ModelFraming, DEFAULT_FRAMING, MODEL_RESAMPLING, validateModelFraming, describeFraming } from './signal-framing';
export {
  BackendHandle, BackendName, BackendChoice, BackendOptions, BackendProbe, BACKEND_NAMES, AUTO_ORDER,
  createBackend, probeBackends, cachedEngineCount,
} from './backends';
