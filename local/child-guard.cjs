// Preloaded (`node --require`) into the local stack's emulator processes (Azurite, the Cosmos DB
// emulator). They run in a process group of their own, so a Ctrl+C in the terminal reaches only the
// stack, which saves the records snapshot before it stops them; and they exit by themselves when
// the stack that started them is gone (killed with -9), instead of holding their ports forever.
'use strict';
const parent = Number(process.env.BYSTANDER_STACK_PID);
if (parent > 0) {
  setInterval(() => {
    try {
      process.kill(parent, 0);
    } catch {
      process.exit(0);
    }
  }, 1000).unref();
}
