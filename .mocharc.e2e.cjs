// `make test`, second run: everything that is not a unit test (real gateways,
// processes, Redis, Chromium, git), one file at a time. List: test/suites.cjs.
const base = require('./.mocharc.json');
const { all, manual, unit } = require('./test/suites.cjs');

module.exports = { ...base, spec: all, ignore: [...unit, ...manual] };
