// The canned exchange both sides of the interop tests compute (the C++ side
// is tests/net/libp2p/interop_peer.cpp; keep the two in step).
const enc = new TextEncoder()

export const BIG_SIZE = 4 * 1024 * 1024
export const PLAN_REQUEST = enc.encode('{"type":"plan","session_id":7,"chunk_size":65536}')
export const BIG_REQUEST = enc.encode('{"type":"chunk","session_id":7,"chunk_index":0,"big":true}')

export function cannedResponse (protocol, request) {
  const text = new TextDecoder().decode(request)
  if (text.includes('"big":true')) {
    const prefix = enc.encode('{"type":"chunk","session_id":7,"chunk_index":0,"chunk":"')
    const suffix = enc.encode('"}')
    const out = new Uint8Array(BIG_SIZE)
    out.set(prefix, 0)
    const fill = BIG_SIZE - prefix.length - suffix.length
    for (let i = 0; i < fill; i++) out[prefix.length + i] = 97 + ((i * 7 + (i >> 10)) % 26)
    out.set(suffix, BIG_SIZE - suffix.length)
    return out
  }
  return enc.encode(`{"type":"ack","session_id":7,"protocol":"${protocol}","request_bytes":${request.length}}`)
}

export function equalBytes (a, b) {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
