// js-libp2p listener: serves the canned response on the protocols given as
// arguments, prints "LISTEN <multiaddr>", runs until stdin closes.
//   node listen.mjs /rpp/snapshots/1.1.0 /rpp/snapshots/1.0.0
import { cannedResponse } from './canned.mjs'
import { createNode, readAll, sendAndClose } from './node.mjs'

const protocols = process.argv.slice(2)
const node = await createNode(true)
for (const protocol of protocols) {
  await node.handle(protocol, async (stream) => {
    try {
      const request = await readAll(stream)
      await sendAndClose(stream, cannedResponse(protocol, request))
    } catch (err) {
      console.error(`handler ${protocol}: ${err.message}`)
      stream.abort(err)
    }
  })
}
const addr = node.getMultiaddrs().find(a => a.toString().startsWith('/ip4/127.0.0.1/'))
console.log(`LISTEN ${addr.toString()}`)

const stop = async () => { await node.stop(); process.exit(0) }
process.stdin.on('end', stop)
process.stdin.on('close', stop)
process.stdin.resume()
setTimeout(stop, 120_000).unref()
