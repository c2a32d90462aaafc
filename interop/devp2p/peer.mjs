// An @ethereumjs/devp2p 10 peer driven by snapstream's interop tests.
//
//   node peer.mjs --role listen|dial [--target enode://...] [--caps eth,snap|snap] [--name A]
//                 [--hardfork prague] [--key <64 hex digits>] [--capture <file>]
//
// It speaks RLPx with eth/68 + snap/1 (or snap/1 alone), sends its eth Status
// (mainnet Common at --hardfork, prague by default: its fork id is what
// @ethereumjs/common computes for that hardfork), asks the other side for an
// account range, serves a scripted AccountRange, and reports what happened as
// one JSON object per stdout line:
//
//   {"event":"listening","enode":...}       {"event":"connected","protocols":[{name,version,offset,length}],...}
//   {"event":"status",...}                  {"event":"account_range","reqId":7,"accounts":[...],"proof":[...]}
//   {"event":"served","request":"GetAccountRange","reqId":N}
//   {"event":"frame_in","code":N} / {"event":"frame_out","code":N}   (raw wire codes >= 0x10)
//   {"event":"removed","reason":N,"disconnectWe":bool}
//   {"event":"ping_in"} / {"event":"pong_in"}   (keep-alive messages that arrived)
//
// --key fixes the node's secp256k1 key (random by default). --capture appends
// one JSON line per handshake packet and message this peer sends, before
// encryption: {"kind":"auth"|"ack"|"message","code":N,"hex":...} (capture.mjs
// turns them into fuzz seeds).
//
// Commands on stdin, one per line: "request" (send GetAccountRange again, with
// the next request id: 7, 8, ...), "ping",
// "corrupt-mac", "unknown-code", "bad-rlp" (send a bad frame), "quit".

import { Common, Mainnet } from '@ethereumjs/common'
import { ECIES, ETH, Peer, RLPx, SNAP } from '@ethereumjs/devp2p'
import { RLP } from '@ethereumjs/rlp'
import { bytesToHex, bytesToInt, bytesToUnprefixedHex, concatBytes, hexToBytes } from '@ethereumjs/util'
import { randomBytes } from 'crypto'
import { appendFileSync } from 'fs'
import * as readline from 'readline'
import * as snappy from 'snappyjs'

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
)
const role = args.role ?? 'listen'
const caps = (args.caps ?? 'eth,snap').split(',')
const emit = (event, fields = {}) => process.stdout.write(JSON.stringify({ event, name: args.name, ...fields }) + '\n')

// Exit on our own after a bound, whatever happens.
const hardLimit = setTimeout(() => {
  emit('error', { message: 'hard time limit reached' })
  process.exit(2)
}, Number(args.limit ?? 60000))
hardLimit.unref()

const common = new Common({ chain: Mainnet, hardfork: args.hardfork ?? 'prague' })
const genesis = hexToBytes('0xd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3')
const fill = (b) => new Uint8Array(32).fill(b)

const capabilities = []
if (caps.includes('eth')) capabilities.push(ETH.eth68)
if (caps.includes('snap')) capabilities.push(SNAP.snap)

if (args.capture) {
  const record = (kind, bytes, code) =>
    appendFileSync(args.capture, JSON.stringify({ kind, code, hex: bytesToUnprefixedHex(bytes) }) + '\n')
  for (const [method, kind] of [['createAuthEIP8', 'auth'], ['createAuthNonEIP8', 'auth'],
                                ['createAckEIP8', 'ack'], ['createAckOld', 'ack']]) {
    const create = ECIES.prototype[method]
    ECIES.prototype[method] = function (...a) {
      const packet = create.apply(this, a)
      if (packet) record(kind, packet)
      return packet
    }
  }
  // Every message, Hello included (it is sent before 'peer:added').
  const send = Peer.prototype._sendMessage
  Peer.prototype._sendMessage = function (code, data) {
    record('message', data, code)
    return send.call(this, code, data)
  }
}

const privateKey = args.key ? hexToBytes(`0x${args.key}`) : randomBytes(32)
const rlpx = new RLPx(privateKey, {
  capabilities,
  common,
  maxPeers: 5,
  clientId: new TextEncoder().encode('ethereumjs-devp2p/interop'),
  listenPort: null,
  timeout: 10000,
})

let peer = null
let nextReqId = 7 // our GetAccountRange request ids: 7, 8, 9, ...

function snapOf(p) {
  return p.getProtocols().find((x) => x instanceof SNAP)
}

function requestAccountRange() {
  const snap = snapOf(peer)
  if (!snap) return
  // [reqID, rootHash, startingHash, limitHash, responseBytes]
  snap.sendMessage(0x00, [nextReqId++, fill(0xaa), fill(0x00), fill(0xff), 512 * 1024])
}

// A frame whose body ciphertext is flipped: the receiver's MAC check fails.
function sendCorruptFrame() {
  const session = peer._eciesSession
  const msg = concatBytes(RLP.encode(0x21), snappy.compress(RLP.encode([1, fill(1), fill(0), fill(0xff), 1000])))
  const header = session.createBlockHeader(msg.length)
  const body = session.createBody(msg)
  body[0] ^= 0xff
  peer._socket.write(header)
  peer._socket.write(body)
}

function onPeer(p) {
  peer = p
  // Record raw wire codes both ways (the code is the frame-data's first byte
  // for codes below 0x80).
  const session = p._eciesSession
  const parseBody = session.parseBody.bind(session)
  session.parseBody = (data) => {
    const body = parseBody(data)
    if (body && body[0] >= 0x10 && body[0] < 0x80) emit('frame_in', { code: body[0] })
    return body
  }
  // Keep-alive: report Pings and Pongs that arrive.
  const handlePing = p._handlePing.bind(p)
  p._handlePing = () => {
    emit('ping_in')
    handlePing()
  }
  const handlePong = p._handlePong.bind(p)
  p._handlePong = () => {
    emit('pong_in')
    handlePong()
  }
  const sendMessage = p._sendMessage.bind(p)
  p._sendMessage = (code, data) => {
    if (code >= 0x10) emit('frame_out', { code })
    return sendMessage(code, data)
  }

  emit('connected', {
    hardfork: common.hardfork(),
    forkHash: common.forkHash(common.hardfork()),
    localId: bytesToUnprefixedHex(rlpx.id),
    remoteId: bytesToUnprefixedHex(p.getId()),
    clientId: p.getHelloMessage()?.clientId,
    protocolVersion: p.getHelloMessage()?.protocolVersion,
    protocols: p._protocols.map((d) => ({
      name: d.protocol instanceof ETH ? 'eth' : 'snap',
      version: d.protocol.getVersion(),
      offset: d.offset,
      length: d.length,
    })),
  })

  const eth = p.getProtocols().find((x) => x instanceof ETH)
  const snap = snapOf(p)
  if (snap) {
    snap.events.on('message', (code, payload) => {
      if (code === 0x00) {
        // GetAccountRange: serve two scripted accounts and one proof node.
        const reqId = payload[0]
        snap.sendMessage(0x01, [
          reqId,
          [
            [fill(0x33), hexToBytes('0xc50102030405')],
            [fill(0x44), hexToBytes('0xc180')],
          ],
          [hexToBytes('0xbeef')],
        ])
        emit('served', { request: 'GetAccountRange', reqId: bytesToInt(reqId) })
      } else if (code === 0x01) {
        emit('account_range', {
          reqId: bytesToInt(payload[0]),
          accounts: payload[1].map(([h, b]) => ({ hash: bytesToHex(h), body: bytesToHex(b) })),
          proof: payload[2].map((n) => bytesToHex(n)),
        })
      }
    })
  }
  if (eth) {
    eth.events.on('status', (s) => {
      emit('status', {
        networkId: bytesToInt(s.chainId),
        genesis: bytesToHex(s.genesisHash),
        forkHash: bytesToHex(s.forkId[0]),
        forkNext: bytesToHex(s.forkId[1]),
      })
      requestAccountRange()
    })
    eth.sendStatus({ td: hexToBytes('0x0400000000'), bestHash: genesis, genesisHash: genesis })
  } else {
    requestAccountRange()
  }
}

rlpx.events.on('peer:added', onPeer)
rlpx.events.on('peer:removed', (p, reason, disconnectWe) => emit('removed', { reason, disconnectWe }))
rlpx.events.on('peer:error', (p, err) => emit('peer_error', { message: String(err?.message ?? err) }))
rlpx.events.on('error', (err) => emit('error', { message: String(err?.message ?? err) }))

if (role === 'listen') {
  rlpx.events.on('listening', () => {
    const port = rlpx._server.address().port
    emit('listening', { enode: `enode://${bytesToUnprefixedHex(rlpx.id)}@127.0.0.1:${port}` })
  })
  rlpx.listen(0, '127.0.0.1')
} else {
  const m = /^enode:\/\/([0-9a-f]{128})@([^:]+):(\d+)$/.exec(args.target ?? '')
  if (!m) {
    emit('error', { message: `bad --target ${args.target}` })
    process.exit(2)
  }
  rlpx.connect({ id: hexToBytes(`0x${m[1]}`), address: m[2], tcpPort: Number(m[3]) }).catch((err) => {
    emit('error', { message: `connect: ${err?.message ?? err}` })
  })
}

function quit(code) {
  try {
    rlpx.destroy()
  } catch {}
  setTimeout(() => process.exit(code), 100)
}

const commands = readline.createInterface({ input: process.stdin })
commands.on('line', (line) => {
  const cmd = line.trim()
  if (cmd === 'quit') return quit(0)
  if (!peer) return emit('error', { message: `no peer for ${cmd}` })
  if (cmd === 'request') requestAccountRange()
  else if (cmd === 'ping') peer._sendPing()
  else if (cmd === 'corrupt-mac') sendCorruptFrame()
  else if (cmd === 'unknown-code') peer._sendMessage(0x30, snappy.compress(RLP.encode([])))
  else if (cmd === 'bad-rlp') {
    // A GetAccountRange whose RLP list claims more bytes than it has.
    const snapOffset = peer._protocols.find((d) => d.protocol instanceof SNAP).offset
    peer._sendMessage(snapOffset, snappy.compress(Uint8Array.from([0xc3, 0xff, 0xff])))
  }
  else emit('error', { message: `unknown command ${cmd}` })
  emit('done', { command: cmd })
})
commands.on('close', () => quit(0))
