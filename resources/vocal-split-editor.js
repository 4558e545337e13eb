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
  global.VocalSplitEditor = {
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
