// js-libp2p consumer of a real `snapstream node` provider, for
// tests/e2e/libp2p_provider_interop_test.cpp. Opens one session on exactly one
// protocol version and asks, each on its own stream (bare JSON request,
// half-close, response read to EOF):
//   plan (with the given chunk_size), light_client_update 0, chunk <index>.
// Decodes each response's byte field itself (a JSON array of 0-255 under
// /rpp/snapshots/1.0.0, base64 under 1.1.0; under 1.3.0 the response is a
// frame, payload || JSON envelope || u32 big-endian envelope length, and the
// update and chunk requests carry the acks of the plan and of update 0,
// docs/protocol.md 2.8) and prints one JSON line:
//   {"protocol":..., "plan":R, "update":R, "chunk":R}
//   R = {"protocol":<negotiated>, "type":..., "encoding":"array"|"base64"|"raw",
//        "hex":<decoded bytes>, "fields":{<every other field>}}
// Exit 0 when every request got its kind of response, 1 otherwise (the
// reason on stderr).
//   node snapshot_client.mjs <multiaddr> <protocol> <session_id> <chunk_size> <chunk_index>
import { multiaddr } from '@multiformats/multiaddr'
import { createNode, readAll, sendAndClose } from './node.mjs'

const [address, protocol, sessionText, chunkSizeText, chunkIndexText] = process.argv.slice(2)
if (!chunkIndexText) {
  console.error('usage: node snapshot_client.mjs <multiaddr> <protocol> <session_id> <chunk_size> <chunk_index>')
  process.exit(2)
}
const session = Number(sessionText)
const enc = new TextEncoder()
const BYTE_FIELDS = ['plan', 'update', 'chunk']

function toHex (bytes) {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex')
}

/** The byte field's bytes, checking the encoding is exactly one of the two. */
function decodeBytes (value) {
  if (Array.isArray(value)) {
    for (const b of value) {
      if (!Number.isInteger(b) || b < 0 || b > 255) throw new Error(`array element ${b} is not a byte`)
    }
    return { encoding: 'array', bytes: Uint8Array.from(value) }
  }
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'base64')
    if (bytes.toString('base64') !== value) throw new Error('byte string is not canonical base64')
    return { encoding: 'base64', bytes }
  }
  throw new Error(`byte field is a ${typeof value}`)
}

/** A 1.3.0 frame: the envelope's fields and the raw payload. */
function splitFrame (body) {
  if (body.length < 4) throw new Error(`frame of ${body.length} bytes has no envelope length`)
  const view = new DataView(body.buffer, body.byteOffset, body.length)
  const length = view.getUint32(body.length - 4, false)
  if (length > body.length - 4) throw new Error(`envelope length ${length} exceeds the frame`)
  const payloadSize = body.length - 4 - length
  const text = new TextDecoder('utf-8', { fatal: true }).decode(body.subarray(payloadSize, body.length - 4))
  return { text, payload: body.subarray(0, payloadSize) }
}

const framed = protocol === '/rpp/snapshots/1.3.0'

async function exchange (node, request) {
  const stream = await node.dialProtocol(multiaddr(address), [protocol], { signal: AbortSignal.timeout(30_000) })
  await sendAndClose(stream, enc.encode(JSON.stringify(request)))
  const body = await readAll(stream)
  const frame = framed ? splitFrame(body) : null
  const text = framed ? frame.text : new TextDecoder().decode(body)
  const response = JSON.parse(text)
  if (response.type !== request.type) {
    throw new Error(`${request.type} request answered with ${text.slice(0, 300)}`)
  }
  if (response.session_id !== session) throw new Error(`response for session ${response.session_id}`)
  const out = { protocol: stream.protocol, type: response.type, fields: {} }
  if (framed) {
    for (const key of BYTE_FIELDS) {
      if (key in response) throw new Error(`a 1.3.0 envelope holds the byte field ${key}`)
    }
    out.encoding = 'raw'
    out.hex = toHex(frame.payload)
  }
  for (const [key, value] of Object.entries(response)) {
    if (BYTE_FIELDS.includes(key)) {
      const { encoding, bytes } = decodeBytes(value)
      out.encoding = encoding
      out.hex = toHex(bytes)
    } else {
      out.fields[key] = value
    }
  }
  return out
}

const node = await createNode(false)
let code = 1
try {
  const plan = await exchange(node, { type: 'plan', session_id: session, chunk_size: Number(chunkSizeText) })
  // Under 1.3.0 each later request carries the ack of what came before.
  const carried = (kind, index) => framed ? { ack_kind: kind, ack_index: index } : {}
  const update = await exchange(node, {
    type: 'light_client_update', session_id: session, update_index: 0, ...carried('Plan', 0)
  })
  const chunk = await exchange(node, {
    type: 'chunk', session_id: session, chunk_index: Number(chunkIndexText), ...carried('LightClientUpdate', 0)
  })
  process.stdout.write(JSON.stringify({ protocol, plan, update, chunk }) + '\n')
  code = 0
} catch (err) {
  console.error(`snapshot_client: ${err.name}: ${err.message}`)
}
await node.stop()
process.exit(code)
