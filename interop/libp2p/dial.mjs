// js-libp2p dialer: opens /rpp/snapshots/1.0.0 on the given peer, sends the
// canned request, half-closes, reads the response to EOF and checks it byte
// for byte. Exit 0 on success.
//   node dial.mjs <multiaddr> plan|big
//   node dial.mjs <multiaddr with a wrong /p2p/ id> mismatch   (exit 0 when refused)
import { multiaddr } from '@multiformats/multiaddr'
import { BIG_REQUEST, PLAN_REQUEST, cannedResponse, equalBytes } from './canned.mjs'
import { createNode, readAll, sendAndClose } from './node.mjs'

const [address, kind] = process.argv.slice(2)
const protocol = '/rpp/snapshots/1.0.0'
const node = await createNode(false)
let code = 1
try {
  const stream = await node.dialProtocol(multiaddr(address), [protocol], { signal: AbortSignal.timeout(30_000) })
  if (kind === 'mismatch') {
    console.error('dial to a mismatched peer id succeeded')
  } else {
    const request = kind === 'big' ? BIG_REQUEST : PLAN_REQUEST
    await sendAndClose(stream, request)
    const response = await readAll(stream)
    const expected = cannedResponse(stream.protocol ?? protocol, request)
    console.log(`PROTOCOL ${stream.protocol} BYTES ${response.length}`)
    if (stream.protocol !== protocol) console.error(`negotiated ${stream.protocol}`)
    else if (!equalBytes(response, expected)) console.error(`response differs (${response.length} vs ${expected.length} bytes)`)
    else code = 0
  }
} catch (err) {
  if (kind === 'mismatch') {
    console.log(`REFUSED ${err.name}: ${err.message}`)
    code = 0
  } else {
    console.error(`dial failed: ${err.name}: ${err.message}`)
  }
}
await node.stop()
process.exit(code)
