'use strict'
// npm run bench -- register: the http suite (Fastify hello world, wrk and h2load over a
// veth pair) with three server kinds: the kernel, the stack through the @gazelle/fastify
// plugin (the adapter), and the same stack opened by @gazelle/register around the app
// without the plugin. --kinds still picks others.
const http = require('../http/suite')

const KINDS = 'kernel,af_packet,register'

module.exports = {
  options: http.options,
  run: (ctx) => http.run({ ...ctx, options: { ...ctx.options, kinds: ctx.options.kinds || KINDS } })
}
