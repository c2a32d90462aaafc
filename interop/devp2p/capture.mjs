// Captures what @ethereumjs/devp2p sends in an RLPx session (two peer.mjs
// processes, the peers of the interop tests: eth/68 + snap/1, Status, one
// GetAccountRange served) and writes it as fuzz seeds:
//
//   node capture.mjs <tests/fuzz/corpus>
//
// The two peers hold the static keys of EIP-8's test vectors, which are the
// keys of tests/fuzz/rlpx_handshake_fuzz.cpp, so the captured auth and ack
// decrypt under the fuzzer exactly as they did on the wire. Seeds written:
//   fuzz_rlpx_handshake/capture-ethereumjs-auth   the dialer's auth (case 0: EIP-8 auth, read with key B)
//   fuzz_rlpx_handshake/capture-ethereumjs-ack    the listener's ack (case 2: EIP-8 ack, read with key A)
//   fuzz_rlpx_messages/capture-ethereumjs-hello   a Hello payload (case 0)
//   fuzz_rlpx_messages/capture-ethereumjs-<code>  each later message as frame data (case 14:
//                                                 the code, then the Snappy payload as sent)
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const corpus = process.argv[2]
if (!corpus) {
  console.error('usage: node capture.mjs <tests/fuzz/corpus>')
  process.exit(2)
}
const here = dirname(fileURLToPath(import.meta.url))
const scratch = mkdtempSync(join(tmpdir(), 'snapstream-capture-'))
const limit = setTimeout(() => { console.error('capture: no exchange within 60 s'); process.exit(1) }, 60_000)

// EIP-8, "Test vectors": the static keys of A (initiator) and B (recipient).
const KEY_A = '49a7b37aa6f6645917e7b807e9d1c00d4fa71f18343b0d4122a4d2df64dd6fee'
const KEY_B = 'b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291'

function start (name, args) {
  const capture = join(scratch, `${name}.jsonl`)
  const child = spawn(process.execPath, [join(here, 'peer.mjs'), '--name', name, '--capture', capture, ...args],
    { cwd: here, stdio: ['pipe', 'pipe', 'inherit'] })
  const waiters = []
  createInterface({ input: child.stdout }).on('line', line => {
    let e
    try { e = JSON.parse(line) } catch { return }
    if (e.event === 'error' || e.event === 'peer_error') console.error(`${name}: ${line}`)
    for (const w of waiters.splice(0)) if (!w(e)) waiters.push(w)
  })
  const next = (event) => new Promise(resolve => waiters.push(e => (e.event === event ? (resolve(e), true) : false)))
  const stop = () => new Promise(resolve => { child.on('exit', resolve); child.stdin.end('quit\n') })
  return { capture, next, stop }
}

const listener = start('B', ['--role', 'listen', '--key', KEY_B])
const { enode } = await listener.next('listening')
const served = listener.next('served')
const dialer = start('A', ['--role', 'dial', '--key', KEY_A, '--target', enode])
await dialer.next('account_range')
await served
await dialer.stop()
await listener.stop()

const records = (file) => readFileSync(file, 'utf8').trim().split('\n').map(l => JSON.parse(l))
const sentByA = records(dialer.capture)
const sentByB = records(listener.capture)
rmSync(scratch, { recursive: true, force: true })

const hex = (h) => Buffer.from(h, 'hex')
const write = (target, name, bytes) => {
  mkdirSync(join(corpus, target), { recursive: true })
  writeFileSync(join(corpus, target, name), bytes)
  console.log(`${target}/${name}: ${bytes.length} bytes`)
}
const one = (list, kind) => {
  const r = list.find(x => x.kind === kind)
  if (!r) throw new Error(`no ${kind} captured`)
  return hex(r.hex)
}
write('fuzz_rlpx_handshake', 'capture-ethereumjs-auth', Buffer.concat([Buffer.of(0), one(sentByA, 'auth')]))
write('fuzz_rlpx_handshake', 'capture-ethereumjs-ack', Buffer.concat([Buffer.of(2), one(sentByB, 'ack')]))

// RLP of a small integer (a message code below 0x80 is one byte; 0 is 0x80).
const rlpCode = (code) => (code === 0 ? Buffer.of(0x80) : Buffer.of(code))
const seen = new Set()
for (const m of [...sentByA, ...sentByB].filter(x => x.kind === 'message')) {
  if (m.code === 0x00) {
    if (!seen.has('hello')) write('fuzz_rlpx_messages', 'capture-ethereumjs-hello', Buffer.concat([Buffer.of(0), hex(m.hex)]))
    seen.add('hello')
  } else if (m.code >= 0x10 && !seen.has(m.code)) {
    seen.add(m.code)
    write('fuzz_rlpx_messages', `capture-ethereumjs-0x${m.code.toString(16)}`,
      Buffer.concat([Buffer.of(14), rlpCode(m.code), hex(m.hex)]))
  }
}
if (!seen.has('hello') || !seen.has(0x10)) throw new Error('no Hello or Status captured')

clearTimeout(limit)
process.exit(0)
