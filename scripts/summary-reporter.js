'use strict';
// Mocha's spec output, then one plain closing line that CI reads: "N passed, N failed[, N skipped]".
const Mocha = require('mocha');

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const { passes = 0, failures = 0, pending = 0 } = runner.stats || {};
      const skipped = pending ? `, ${pending} skipped` : '';
      // After Spec's epilogue, so it is the very last line.
      process.nextTick(() => console.log(`${passes} passed, ${failures} failed${skipped}`));
    });
  }
}
module.exports = SummaryReporter;
