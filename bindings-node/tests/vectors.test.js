'use strict'
// Runs every shared case of tests/vectors/ (folder in TOKENWELL_VECTORS) through the public
// Node API, one test per vector, as tests/vectors/README.md prescribes (the runner: cases.js).

const { describe, test } = require('node:test')
const assert = require('node:assert/strict')
const { ROOT } = require('./helpers.js')
const { loadCases, setEnv, runCase } = require('./cases.js')

const dir = process.env.TOKENWELL_VECTORS
assert.ok(dir, 'TOKENWELL_VECTORS is not set')
const vectors = loadCases(dir)
setEnv(vectors)

describe('tests/vectors', { concurrency: 12 }, () => {
  assert.ok(vectors.length > 0, 'no vectors found')
  for (const vec of vectors) {
    test(`${vec.stem}: ${vec.v.name}`, { timeout: 60_000 }, async () => {
      const { fails } = await runCase(vec, { root: ROOT })
      if (fails.length > 0) assert.fail(`${vec.stem}:\n  ${fails.join('\n  ')}`)
    })
  }
})
