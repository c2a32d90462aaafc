// Captures what a js-libp2p dialer sends to snapstream's listener (the pair
// the interop tests run) and writes it as fuzz seeds, so that the fuzz targets
// start from a real peer's bytes, not only from ours:
//
//   node capture.mjs <libp2p_interop_peer binary> <tests/fuzz/corpus>
//
// The js node dials our `interop_peer serve` through a loopback relay that
// records the bytes on the wire, opens /rpp/snapshots/1.0.0 and sends the
// canned plan request; a tap on its Yamux muxer records the plaintext Yamux
// frames it writes (the wire only shows them encrypted). Seeds written, each in
// the input format of its target (tests/fuzz/<target>_fuzz.cpp):
//   fuzz_multistream/capture-js-dialer     our listener fed js's header and /noise proposal
//   fuzz_noise/capture-js-initiator        our responder fed js's handshake messages 1 and 3
//   fuzz_yamux/capture-js-client           our server session fed js's Yamux frames
//   fuzz_multistream/capture-js-stream     our listener fed js's negotiation inside its Yamux stream
// The handshake seed cannot complete under the fuzzer (its keys are not the
// live ones), but it drives message 1 and the framing of message 3 as js sends them.
import './polyfill.mjs'
import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { PLAN_REQUEST, cannedResponse, equalBytes } from './canned.mjs'
import { readAll, sendAndClose } from './node.mjs'

const [peerBinary, corpus] = process.argv.slice(2)
if (!peerBinary || !corpus) {
  console.error('usage: node capture.mjs <libp2p_interop_peer binary> <tests/fuzz/corpus>')
  process.exit(2)
}
const limit = setTimeout(() => { console.error('capture: no exchange within 60 s'); process.exit(1) }, 60_000)

const bytesOf = (data) => Uint8Array.from(data.subarray ? data.subarray() : data)
const concat = (parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

// Our listener.
const server = spawn(peerBinary, ['serve'], { stdio: ['pipe', 'pipe', 'inherit'] })
const listen = await new Promise((resolve, reject) => {
  createInterface({ input: server.stdout }).on('line', line => {
    const m = /^LISTEN \/ip4\/127\.0\.0\.1\/tcp\/(\d+)\/p2p\/(\w+)$/.exec(line.trim())
    if (m) resolve({ port: Number(m[1]), id: m[2] })
  })
  server.on('exit', code => reject(new Error(`interop_peer exited with ${code}`)))
})
const { port: serverPort, id: serverId } = listen

// The relay: every byte js sends on the wire, in order.
const wire = []
const relay = net.createServer(client => {
  const upstream = net.connect(serverPort, '127.0.0.1')
  client.on('data', d => { wire.push(bytesOf(d)); upstream.write(d) })
  upstream.on('data', d => client.write(d))
  client.on('end', () => upstream.end())
  upstream.on('end', () => client.end())
  client.on('error', () => upstream.destroy())
  upstream.on('error', () => client.destroy())
})
await new Promise(resolve => relay.listen(0, '127.0.0.1', resolve))

// js's Yamux output, before Noise encrypts it.
const frames = []
const tappedYamux = () => {
  const inner = yamux()()
  return new Proxy(inner, {
    get (target, key) {
      if (key === 'createStreamMuxer') {
        return (maConn) => {
          const send = maConn.send.bind(maConn)
          maConn.send = (data) => { frames.push(bytesOf(data)); return send(data) }
          return target.createStreamMuxer(maConn)
        }
      }
      const value = target[key]
      return typeof value === 'function' ? value.bind(target) : value
    }
  })
}

const node = await createLibp2p({
  addresses: { listen: [] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [tappedYamux]
})
const protocol = '/rpp/snapshots/1.0.0'
const stream = await node.dialProtocol(multiaddr(`/ip4/127.0.0.1/tcp/${relay.address().port}/p2p/${serverId}`),
  [protocol], { signal: AbortSignal.timeout(30_000) })
await sendAndClose(stream, PLAN_REQUEST)
const response = await readAll(stream)
if (!equalBytes(response, cannedResponse(protocol, PLAN_REQUEST))) throw new Error('the canned exchange failed')
await node.stop()
relay.close()
server.stdin.end()

// Splits js's wire bytes: multistream-select messages (uvarint length, text
// ending in '\n'), then Noise handshake messages (16-bit big-endian length).
const sent = concat(wire)
let at = 0
const multistreamEnd = (bytes, from) => {
  let i = from
  for (;;) {
    let len = 0
    let j = i
    for (let shift = 0; j < bytes.length; shift += 7) {
      const b = bytes[j++]
      len += (b & 0x7f) * 2 ** shift
      if (b < 0x80) break
    }
    if (len === 0 || j + len > bytes.length || bytes[j + len - 1] !== 0x0a) return i
    i = j + len
  }
}
at = multistreamEnd(sent, 0)
const negotiation = sent.subarray(0, at)
if (!new TextDecoder().decode(negotiation).includes('/noise\n')) throw new Error('no /noise proposal captured')
const handshake = []
while (handshake.length < 2 && at + 2 <= sent.length) {
  const len = (sent[at] << 8) | sent[at + 1]
  handshake.push(sent.subarray(at + 2, at + 2 + len))
  at += 2 + len
}
if (handshake.length !== 2) throw new Error('js sent fewer than two Noise handshake messages')

// The fuzz targets' framing: chunk16 is a 16-bit little-endian length.
const le16 = (n) => Uint8Array.of(n & 0xff, n >> 8)
const chunk16 = (b) => concat([le16(b.length), b])

const write = (target, name, bytes) => {
  mkdirSync(join(corpus, target), { recursive: true })
  writeFileSync(join(corpus, target, name), bytes)
  console.log(`${target}/${name}: ${bytes.length} bytes`)
}
// fuzz_multistream: byte 0 even = our listener, byte 1 = number of cut points (0).
write('fuzz_multistream', 'capture-js-dialer', concat([Uint8Array.of(0, 0), negotiation]))
// fuzz_noise: mode 1 = our side responds, raw peer bytes; then each message as chunk16.
write('fuzz_noise', 'capture-js-initiator', concat([Uint8Array.of(1), ...handshake.map(chunk16)]))

// fuzz_yamux: setup byte 0x0e = our server session, up to 8 streams; the
// stream window at its initial size, a 16 MiB session window, 64 KiB frames,
// 4 KiB sends; then op 0 (peer bytes) for each write js made, cut in half.
const yamuxParts = [Uint8Array.of(0x0e), le16(0), le16(0xffff), le16(0xffff), le16(0x0fff)]
for (const f of frames.slice(0, 200)) {
  if (f.length > 0xffff) continue
  yamuxParts.push(Uint8Array.of(0), chunk16(f), le16(f.length >> 1))
}
write('fuzz_yamux', 'capture-js-client', concat(yamuxParts))

// js's first Yamux stream: its DATA frames (type 0) carry the stream's
// multistream-select negotiation, then the request.
const plain = concat(frames)
const streamBytes = []
let streamId = null
for (let i = 0; i + 12 <= plain.length;) {
  const type = plain[i + 1]
  const id = new DataView(plain.buffer, plain.byteOffset + i + 4, 4).getUint32(0)
  const length = new DataView(plain.buffer, plain.byteOffset + i + 8, 4).getUint32(0)
  const body = type === 0 ? plain.subarray(i + 12, i + 12 + length) : null
  i += 12 + (type === 0 ? length : 0)
  if (body === null || id === 0) continue
  streamId ??= id
  if (id === streamId) streamBytes.push(body)
}
const inStream = concat(streamBytes)
const streamNegotiation = inStream.subarray(0, multistreamEnd(inStream, 0))
if (!new TextDecoder().decode(streamNegotiation).includes(protocol)) throw new Error('no stream negotiation captured')
write('fuzz_multistream', 'capture-js-stream', concat([Uint8Array.of(0, 0), streamNegotiation]))

clearTimeout(limit)
process.exit(0)
