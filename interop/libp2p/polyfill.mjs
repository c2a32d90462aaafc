// Node 20 lacks Promise.withResolvers (Node 22 has it); parts of js-libp2p's
// dependency tree call it. Imported before any libp2p module.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers () {
    let resolve, reject
    const promise = new this((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}
