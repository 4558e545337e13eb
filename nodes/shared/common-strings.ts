/**
 * The strings every vocal split node shares (labels, status, errors, stream mode) are written once:
 * under `common` in the vocal-split node's catalogue (nodes/vocal-split/locales/<lang>/vocal-split.json).
 * Node-RED registers each node set's catalogue under the namespace '<package>/<set>', enabled or not,
 * and RED._ (runtime and editor) and the editor's data-i18n read a key of another namespace written
 * as 'namespace:key', the way core nodes read 'node-red:common.label.name'.
 */
export const COMMON = 'node-red-contrib-vocal-split/vocal-split:common';
