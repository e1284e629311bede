// Model references as users type them: `hf:<owner>/<repo>:<QUANT>` (the file is picked from
// the repository listing by its quantization), `hf:<owner>/<repo>/<path/file.gguf>` (an explicit
// file), or a plain `https://…/file.gguf` URL. Pure: parsing and naming only, no I/O, so the
// store can match references offline and the CLI can reject a bad one before any network use.
import { LocoError } from '../errors.js';

/** The model loco is built around, in the quantization that fits a laptop. */
export const DEFAULT_MODEL_REF = 'hf:LocoreMind/LocoOperator-4B-GGUF:Q4_K_M';
/** The file DEFAULT_MODEL_REF names today; the hub listing is the authority when online. */
export const DEFAULT_MODEL_FILE = 'LocoOperator-4B.Q4_K_M.gguf';

/**
 * Short names for the explorers loco has profiles for. FastContext's own weights
 * (microsoft/FastContext-1.0-4B-SFT and -RL, MIT) come as safetensors; these are community
 * GGUF conversions of them, named by repository and file as their publishers list them.
 */
export const KNOWN_MODELS: Readonly<Record<string, { ref: string; about: string }>> = Object.freeze({
  locooperator: { ref: DEFAULT_MODEL_REF, about: 'LocoOperator-4B, Q4_K_M (the default)' },
  fastcontext: { ref: 'hf:sdougbrown/FastContext-1.0-4B-RL-GGUF/FastContext-1.0-4B-RL-Q4_K_M.gguf', about: 'FastContext-1.0-4B RL, Q4_K_M (2.4 GB)' },
  'fastcontext-rl-q8': { ref: 'hf:mitkox/FastContext-1.0-4B-RL-Q8_0-GGUF/FastContext-1.0-4B-RL-Q8_0.gguf', about: 'FastContext-1.0-4B RL, Q8_0 (4.5 GB)' },
  'fastcontext-sft': { ref: 'hf:mradermacher/FastContext-1.0-4B-SFT-GGUF:Q4_K_M', about: 'FastContext-1.0-4B SFT, Q4_K_M' },
});

export interface HubModelRef {
  kind: 'hub';
  owner: string;
  repo: string;
  /** Set when the reference names a quantization, e.g. `Q4_K_M` (upper-cased). */
  quant?: string;
  /** Set when the reference names a file path inside the repository. */
  file?: string;
  /** The canonical text, e.g. `hf:LocoreMind/LocoOperator-4B-GGUF:Q4_K_M`. */
  text: string;
}

export interface UrlModelRef {
  kind: 'url';
  url: string;
  /** The local file name: the URL's last path segment. */
  file: string;
  text: string;
}

export type ModelRef = HubModelRef | UrlModelRef;

const NAME_PART = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const QUANT = /^[A-Za-z0-9][A-Za-z0-9_]*$/;
// Quantization tokens as llama.cpp and the usual converters write them into file names.
const QUANT_TOKEN = /^(?:I?Q\d[A-Z0-9_]*|TQ\d_\d|B?F16|F32|MXFP4(?:_MOE)?)$/i;
const SPLIT_SUFFIX = /-\d{5}-of-\d{5}\.gguf$/i;

const REF_FORMS =
  'use a known name (' + Object.keys(KNOWN_MODELS).join(', ') + '), hf:<owner>/<repo>:<QUANT> (e.g. ' + DEFAULT_MODEL_REF + '), hf:<owner>/<repo>/<file.gguf>, or an https:// URL of a .gguf file';

function badRef(text: string, why: string): LocoError {
  return new LocoError('usage', `bad model reference ${JSON.stringify(text)}: ${why}; ${REF_FORMS}`);
}

function isGgufName(name: string): boolean {
  return name.toLowerCase().endsWith('.gguf') && name.length > '.gguf'.length;
}

/** A file name safe to create in the models directory: no separators, no leading dot. */
function checkLocalName(text: string, name: string): string {
  if (name.startsWith('.') || /[\\/\0]/.test(name) || !isGgufName(name)) throw badRef(text, `${JSON.stringify(name)} is not a usable .gguf file name`);
  return name;
}

function parseHubRef(text: string, body: string): HubModelRef {
  const colon = body.indexOf(':');
  const location = colon === -1 ? body : body.slice(0, colon);
  const quant = colon === -1 ? undefined : body.slice(colon + 1);
  const parts = location.split('/');
  if (parts.length < 2 || parts[0] === '' || parts[1] === '') throw badRef(text, 'expected <owner>/<repo> after hf:');
  const [owner, repo, ...fileParts] = parts;
  if (!NAME_PART.test(owner) || !NAME_PART.test(repo)) throw badRef(text, `${JSON.stringify(`${owner}/${repo}`)} is not a repository name`);
  if (fileParts.length > 0) {
    if (quant !== undefined) throw badRef(text, 'give either a quantization (:Q4_K_M) or a file path, not both');
    if (fileParts.some((part) => part === '' || part === '.' || part === '..')) throw badRef(text, 'the file path has an empty, "." or ".." segment');
    const file = fileParts.join('/');
    checkLocalName(text, fileParts[fileParts.length - 1]);
    return { kind: 'hub', owner, repo, file, text: `hf:${owner}/${repo}/${file}` };
  }
  if (quant === undefined || quant === '') throw badRef(text, 'name a quantization (e.g. :Q4_K_M) or a file (/<file.gguf>)');
  if (!QUANT.test(quant)) throw badRef(text, `${JSON.stringify(quant)} is not a quantization name like Q4_K_M or Q8_0`);
  const upper = quant.toUpperCase();
  return { kind: 'hub', owner, repo, quant: upper, text: `hf:${owner}/${repo}:${upper}` };
}

function parseUrlRef(text: string): UrlModelRef {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badRef(text, 'not a valid URL');
  }
  if (url.username !== '' || url.password !== '') throw badRef(text, 'credentials in URLs are not accepted (set HF_TOKEN for the hub)');
  const segments = url.pathname.split('/');
  let last: string;
  try {
    last = decodeURIComponent(segments[segments.length - 1] ?? '');
  } catch {
    throw badRef(text, 'the URL path is not valid percent-encoding');
  }
  if (!isGgufName(last)) throw badRef(text, 'the URL path must end in a .gguf file name');
  const file = checkLocalName(text, last);
  return { kind: 'url', url: url.href, file, text: url.href };
}

/** Parses a model reference; throws LocoError('usage') naming the accepted forms. */
export function parseModelRef(text: string): ModelRef {
  const trimmed = text.trim();
  if (trimmed === '') throw badRef(text, 'it is empty');
  if (Object.hasOwn(KNOWN_MODELS, trimmed.toLowerCase())) return parseModelRef(KNOWN_MODELS[trimmed.toLowerCase()].ref);
  if (trimmed.startsWith('hf:')) return parseHubRef(trimmed, trimmed.slice(3));
  if (/^https?:\/\//i.test(trimmed)) return parseUrlRef(trimmed);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) throw badRef(text, 'only http:// and https:// URLs can be downloaded');
  throw badRef(text, 'unknown form');
}

/** True when the text is a model reference rather than, say, a bare installed file name. */
export function looksLikeModelRef(text: string): boolean {
  return text.startsWith('hf:') || /^https?:\/\//i.test(text) || Object.hasOwn(KNOWN_MODELS, text.trim().toLowerCase());
}

/** The quantization named in a GGUF file name, upper-cased, e.g. `Q4_K_M`; undefined when none. */
export function quantOfFile(fileName: string): string | undefined {
  const base = fileName.split('/').pop() ?? fileName;
  if (!isGgufName(base) || base.toLowerCase().startsWith('mmproj')) return undefined;
  const stem = base.replace(SPLIT_SUFFIX, '.gguf').slice(0, -'.gguf'.length);
  const tokens = stem.split(/[.-]/);
  for (let index = tokens.length - 1; index >= 0; index -= 1) {
    if (QUANT_TOKEN.test(tokens[index])) return tokens[index].toUpperCase();
  }
  return undefined;
}

/** True for one part of a model split across several files (`-00001-of-00003.gguf`). */
export function isSplitPart(fileName: string): boolean {
  return SPLIT_SUFFIX.test(fileName);
}

/**
 * The local file name a reference will most likely produce, for offline lookups: exact for
 * file and URL references; for a quantization, the `<Repo minus -GGUF>.<QUANT>.gguf` pattern
 * the default model uses (a recorded source reference is checked first, so a wrong guess only
 * costs a network listing).
 */
export function guessFileName(ref: ModelRef): string {
  if (ref.kind === 'url') return ref.file;
  if (ref.file !== undefined) return ref.file.split('/').pop() ?? ref.file;
  const stem = ref.repo.replace(/[-_.]gguf$/i, '');
  return `${stem}.${ref.quant ?? ''}.gguf`;
}
