// Model references: the accepted forms, their canonical text, and one clear usage error for
// each way of getting them wrong.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LocoError } from '../../src/errors.js';
import { DEFAULT_MODEL_FILE, DEFAULT_MODEL_REF, guessFileName, isSplitPart, parseModelRef, quantOfFile } from '../../src/models/refs.js';

test('the default reference names the LocoOperator-4B repository and Q4_K_M', () => {
  const ref = parseModelRef(DEFAULT_MODEL_REF);
  assert.deepEqual(ref, { kind: 'hub', owner: 'LocoreMind', repo: 'LocoOperator-4B-GGUF', quant: 'Q4_K_M', text: DEFAULT_MODEL_REF });
  assert.equal(guessFileName(ref), DEFAULT_MODEL_FILE);
});

test('quantizations are upper-cased into the canonical text', () => {
  const ref = parseModelRef('  hf:someone/Some-Model-GGUF:q8_0 ');
  assert.equal(ref.kind, 'hub');
  assert.equal(ref.text, 'hf:someone/Some-Model-GGUF:Q8_0');
  assert.equal(guessFileName(ref), 'Some-Model.Q8_0.gguf');
});

test('an explicit file, also in a subfolder', () => {
  assert.deepEqual(parseModelRef('hf:o/r/model.Q4_K_M.gguf'), { kind: 'hub', owner: 'o', repo: 'r', file: 'model.Q4_K_M.gguf', text: 'hf:o/r/model.Q4_K_M.gguf' });
  const nested = parseModelRef('hf:o/r/Q4/model-q4.gguf');
  assert.equal(nested.kind === 'hub' && nested.file, 'Q4/model-q4.gguf');
  assert.equal(guessFileName(nested), 'model-q4.gguf');
});

test('http and https URLs name their last path segment', () => {
  const ref = parseModelRef('https://example.com/models/My%20Model.Q4_K_M.gguf?download=true');
  assert.deepEqual(ref, { kind: 'url', url: 'https://example.com/models/My%20Model.Q4_K_M.gguf?download=true', file: 'My Model.Q4_K_M.gguf', text: 'https://example.com/models/My%20Model.Q4_K_M.gguf?download=true' });
  assert.equal(parseModelRef('http://127.0.0.1:8000/x.gguf').kind, 'url');
});

const badRefs: Array<[string, RegExp]> = [
  ['', /it is empty/],
  ['hf:', /expected <owner>\/<repo>/],
  ['hf:owner', /expected <owner>\/<repo>/],
  ['hf:owner/', /expected <owner>\/<repo>/],
  ['hf:owner/repo', /name a quantization/],
  ['hf:owner/repo:', /name a quantization/],
  ['hf:owner/repo:Q4 K', /not a quantization name/],
  ['hf:own er/repo:Q4_K_M', /not a repository name/],
  ['hf:o/r/../x.gguf', /"\.\." segment/],
  ['hf:o/r/model.bin', /not a usable \.gguf file name/],
  ['hf:o/r/x.gguf:Q4_K_M', /not both/],
  ['ftp://example.com/x.gguf', /only http:\/\/ and https:\/\//],
  ['https://example.com/download', /must end in a \.gguf file name/],
  ['https://user:pw@example.com/x.gguf', /credentials in URLs/],
  ['LocoreMind/LocoOperator-4B-GGUF', /unknown form/],
  ['./model.gguf', /unknown form/],
];

for (const [text, why] of badRefs) {
  test(`bad reference ${JSON.stringify(text)} is a usage error that shows the accepted forms`, () => {
    assert.throws(
      () => parseModelRef(text),
      (error: unknown) => {
        assert.ok(error instanceof LocoError);
        assert.equal(error.code, 'usage');
        assert.match(error.message, why);
        assert.match(error.message, /hf:<owner>\/<repo>:<QUANT>/);
        return true;
      },
    );
  });
}

test('quantizations are read from usual GGUF file names', () => {
  assert.equal(quantOfFile('LocoOperator-4B.Q4_K_M.gguf'), 'Q4_K_M');
  assert.equal(quantOfFile('qwen3-4b-instruct-q8_0.gguf'), 'Q8_0');
  assert.equal(quantOfFile('Model-UD-IQ4_XS.gguf'), 'IQ4_XS');
  assert.equal(quantOfFile('Model.BF16.gguf'), 'BF16');
  assert.equal(quantOfFile('Model-Q8_0-00001-of-00002.gguf'), 'Q8_0');
  assert.equal(quantOfFile('mmproj-model-f16.gguf'), undefined, 'vision projectors are not models');
  assert.equal(quantOfFile('README.md'), undefined);
  assert.equal(quantOfFile('Qwen3-4B.gguf'), undefined);
  assert.ok(isSplitPart('Model-Q8_0-00001-of-00002.gguf'));
  assert.ok(!isSplitPart('Model-Q8_0.gguf'));
});

test('known names: fastcontext and friends resolve to their GGUF references; object keys are not names', () => {
  assert.equal(parseModelRef('fastcontext').text, 'hf:sdougbrown/FastContext-1.0-4B-RL-GGUF/FastContext-1.0-4B-RL-Q4_K_M.gguf');
  assert.equal(parseModelRef('FastContext-SFT').text, 'hf:mradermacher/FastContext-1.0-4B-SFT-GGUF:Q4_K_M');
  assert.equal(parseModelRef('locooperator').text, DEFAULT_MODEL_REF);
  for (const name of ['constructor', '__proto__', 'toString']) assert.throws(() => parseModelRef(name), (error: unknown) => error instanceof LocoError && /known name \(locooperator, fastcontext/.test(error.message));
});
