// The Fastify test app on this process's stack (or the kernel), and raw HTTP clients:
// {cmd: 'fastify', args: {fn, ...}} runs fn of test/helpers/fastify-app.mjs.
export default function fastifyRole(ctx) {
  const app = () => import('../fastify-app.mjs')
  ctx.beforeClose(() => app().then((m) => m.close({})))
  return {
    async fastify({ fn, ...args }) {
      const m = await app()
      if (typeof m[fn] !== 'function') throw new Error(`fastify-app.mjs has no ${fn}`)
      return m[fn]({ stack: ctx.currentStack(), ...args })
    },
  }
}
