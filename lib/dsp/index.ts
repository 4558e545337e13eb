export type { ChannelSpectrogram, Spectrogram, StftParams } from './types';
export { hannWindow } from './window';
export { frameCount, validateStftParams } from './framing';
export { stft, stftChannel } from './stft';
export { istft, istftChannel } from './istft';
export { istftAddFrames, stftFrames } from './frames';
export { magnitude } from './magnitude';
