/**
 * Reads the TwiML a webhook answered with, using a real XML parser, into the verbs Twilio would
 * execute. Verb order is kept (Twilio runs them top to bottom).
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export interface TwimlNode {
  name: string;
  attributes: Record<string, string>;
  /** Concatenated text content (e.g. what `<Say>` says, the number in `<Number>`). */
  text: string;
  children: TwimlNode[];
}

export interface StreamInstruction {
  url: string;
  /** `<Parameter name value>`s, delivered as `start.customParameters`. */
  parameters: Record<string, string>;
  name: string | null;
  statusCallback: string | null;
  statusCallbackMethod: 'GET' | 'POST';
}

export interface TwimlSummary {
  /** Top-level verb names in document order. */
  verbs: string[];
  /** The `<Connect><Stream>` to open, if any. */
  stream: StreamInstruction | null;
  said: string[];
  hangup: boolean;
  reject: 'busy' | 'rejected' | null;
  /** Numbers / SIP URIs in `<Dial>`. */
  dialed: string[];
}

export interface ParsedTwiml {
  raw: string;
  verbs: TwimlNode[];
  summary: TwimlSummary;
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
});

type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, string> };

/** Parses a TwiML document; throws with the reason if it is not a `<Response>` Twilio could run. */
export function readTwiml(raw: string): ParsedTwiml {
  const valid = XMLValidator.validate(raw);
  if (valid !== true) {
    throw new Error(`TwiML is not well-formed XML (line ${valid.err.line}): ${valid.err.msg}`);
  }
  const roots = toNodes(parser.parse(raw) as OrderedNode[]).filter((n) => n.name !== '?xml');
  const response = roots[0];
  if (roots.length !== 1 || response?.name !== 'Response') {
    throw new Error(
      `TwiML root must be a single <Response>; got ${roots.map((r) => `<${r.name}>`).join(', ')}`,
    );
  }
  return { raw, verbs: response.children, summary: summarize(response.children) };
}

function toNodes(ordered: OrderedNode[]): TwimlNode[] {
  const nodes: TwimlNode[] = [];
  for (const entry of ordered) {
    const name = Object.keys(entry).find((k) => k !== ':@');
    if (name === undefined || name === '#text') continue;
    const children = toNodes((entry[name] as OrderedNode[] | undefined) ?? []);
    const text = ((entry[name] as OrderedNode[] | undefined) ?? [])
      .map((c) => (typeof c['#text'] === 'string' ? c['#text'] : ''))
      .join('');
    nodes.push({ name, attributes: { ...(entry[':@'] ?? {}) }, text, children });
  }
  return nodes;
}

function summarize(verbs: TwimlNode[]): TwimlSummary {
  const summary: TwimlSummary = {
    verbs: verbs.map((v) => v.name),
    stream: null,
    said: [],
    hangup: false,
    reject: null,
    dialed: [],
  };
  for (const verb of verbs) {
    if (verb.name === 'Say') summary.said.push(verb.text);
    if (verb.name === 'Hangup') summary.hangup = true;
    if (verb.name === 'Reject') summary.reject = verb.attributes.reason === 'busy' ? 'busy' : 'rejected';
    if (verb.name === 'Dial') {
      const targets = verb.children.filter((c) => c.name === 'Number' || c.name === 'Sip').map((c) => c.text);
      summary.dialed.push(...(targets.length > 0 ? targets : [verb.text]));
    }
    if (verb.name === 'Connect' && summary.stream === null) {
      const stream = verb.children.find((c) => c.name === 'Stream');
      if (stream) summary.stream = streamInstruction(stream);
    }
  }
  return summary;
}

/** Reads a `<Stream>` element; throws if it has no url. */
export function streamInstruction(stream: TwimlNode): StreamInstruction {
  const url = stream.attributes.url;
  if (!url) throw new Error('<Stream> has no url attribute');
  const parameters: Record<string, string> = {};
  for (const p of stream.children) {
    if (p.name === 'Parameter' && p.attributes.name !== undefined)
      parameters[p.attributes.name] = p.attributes.value ?? '';
  }
  return {
    url,
    parameters,
    name: stream.attributes.name ?? null,
    statusCallback: stream.attributes.statusCallback ?? null,
    statusCallbackMethod: stream.attributes.statusCallbackMethod === 'GET' ? 'GET' : 'POST',
  };
}
