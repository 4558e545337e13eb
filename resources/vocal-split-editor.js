/**
 * Shared by the vocal split nodes' editor definitions; each node's .html loads it first
 * (Node-RED serves a package's resources/ folder at resources/<package name>/).
 *
 * Old flows: a node saved before one of its settings existed lacks that property. The runtime uses the
 * setting's default then, so the editor must not mark the node invalid ("not properly configured"), and
 * its edit dialog shows the default, which the next save stores.
 */
(function (global) {
  if (global.VocalSplitEditor) return;
  var STREAM_KEY_TYPES = ['msg', 'flow', 'global', 'str', 'env'];
  var FOLDER_TYPES = ['str', 'env', 'msg', 'flow', 'global'];

  /** A typedInput's type: the hidden input's while the edit dialog is open, else the node's; missing: `defaultType`. */
  function typeOf(node, typeField, defaultType) {
    var field = typeof $ === 'function' ? $('#node-input-' + typeField).val() : undefined;
    return field || node[typeField] || defaultType;
  }

  /**
   * validate for a typedInput setting: its type is one of `types`, and a msg, flow or global value
   * is a property name (RED.utils.validatePropertyExpression; a context key may name its store
   * first, #:(store)::key). A missing type is `defaultType`, as flows saved before the setting was a
   * typedInput have it.
   */
  function typedProperty(typeField, types, defaultType) {
    return function (value) {
      var type = typeOf(this, typeField, defaultType);
      if (types.indexOf(type) < 0) return false;
      if (type !== 'msg' && type !== 'flow' && type !== 'global') return true;
      var key = type === 'msg' ? value : String(value).replace(/^#:\((\S+?)\)::/, '');
      return typeof key === 'string' && key !== '' && RED.utils.validatePropertyExpression(key) === true;
    };
  }

  function typedInput(field, typeField, types, defaultType) {
    $('#node-input-' + field).typedInput({ default: defaultType, types: types, typeField: '#node-input-' + typeField });
  }

  var validStreamKey = typedProperty('streamKeyType', STREAM_KEY_TYPES, 'msg');
  var BACKENDS = ['auto', 'cuda', 'onnx', 'tfjs-node', 'wasm', 'cpu'];

  global.VocalSplitEditor = {
    /** validate of Backend. */
    backend: function (value) { return BACKENDS.indexOf(value) >= 0; },
    /**
     * For oneditprepare, after showDefaults: the Backend select's options, labelled from the shared
     * strings, with the node's backend selected (the editor set the value before the options existed).
     */
    backendSelect: function (node) {
      var select = $('#node-input-backend');
      BACKENDS.forEach(function (name) {
        $('<option>').val(name).text(RED._('node-red-contrib-vocal-split/vocal-split:common.options.backend.' + name)).appendTo(select);
      });
      select.val(node.backend === undefined ? 'auto' : node.backend);
    },
    /** validate of Stream key (a typedInput, default msg.topic); an empty msg property means msg.topic, as it did before. */
    streamKey: function (value) {
      if (typeOf(this, 'streamKeyType', 'msg') === 'msg' && String(value).trim() === '') return true;
      return validStreamKey.call(this, value);
    },
    /** validate of Folder (a typedInput, default the text '': no files read). */
    folder: typedProperty('folderType', FOLDER_TYPES, 'str'),
    /** For oneditprepare, after showDefaults: Stream key and Folder as typedInputs. */
    streamKeyInput: function () { typedInput('streamKey', 'streamKeyType', STREAM_KEY_TYPES, 'msg'); },
    folderInput: function () { typedInput('folder', 'folderType', FOLDER_TYPES, 'str'); },
    /** A node type's defaults, each validate function also accepting a missing (undefined) value. */
    defaults: function (fields) {
      Object.keys(fields).forEach(function (name) {
        var validate = fields[name].validate;
        if (validate) {
          fields[name].validate = function (value) { return value === undefined || validate.apply(this, arguments); };
        }
      });
      return fields;
    },
    /** For oneditprepare: the form shows each missing setting's default instead of a blank. */
    showDefaults: function (node) {
      Object.keys(node._def.defaults).forEach(function (name) {
        if (node[name] !== undefined) return;
        var input = $('#node-input-' + name);
        var value = node._def.defaults[name].value;
        if (input.attr('type') === 'checkbox') input.prop('checked', value === true);
        else input.val(value);
      });
    }
  };
})(window);
