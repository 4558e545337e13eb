/** Every node of the package with its real message catalog, and Node-RED's catch node, for flows that use them all. */
import applyMaskInit from '../../nodes/apply-mask/apply-mask';
import decodeInit from '../../nodes/decode/decode';
import encodeInit from '../../nodes/encode/encode';
import istftInit from '../../nodes/istft/istft';
import stftInit from '../../nodes/stft/stft';
import unetMaskInit from '../../nodes/unet-mask/unet-mask';
import vocalSplitInit from '../../nodes/vocal-split/vocal-split';
import { localized } from './node-red';
import { catchNode } from './node-specs';

export const ALL_NODES = [
  localized(decodeInit, 'vocal-split-decode'),
  localized(stftInit, 'vocal-split-stft'),
  localized(unetMaskInit, 'vocal-split-unet-mask'),
  localized(applyMaskInit, 'vocal-split-apply-mask'),
  localized(istftInit, 'vocal-split-istft'),
  localized(encodeInit, 'vocal-split-encode'),
  localized(vocalSplitInit, 'vocal-split'),
  catchNode,
];
