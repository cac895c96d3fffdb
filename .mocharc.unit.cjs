// `make test`, first run: the pure unit tests, in parallel (list: test/suites.cjs).
const { availableParallelism } = require('node:os');
const base = require('./.mocharc.json');
const { unit } = require('./test/suites.cjs');

module.exports = { ...base, spec: unit, parallel: true, jobs: Math.max(2, availableParallelism() - 1) };
