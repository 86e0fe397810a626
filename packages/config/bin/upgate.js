#!/usr/bin/env node
// The `upgate` command. It runs the compiled CLI (dist/), as an installed package has it.
let cli;
try {
  cli = await import('../dist/cli/upgate.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli/upgate.js')) {
    process.stderr.write(
      'upgate: @upgate/config is not built (dist/cli/upgate.js is missing); build it first: npm run build in the upgate workspace\n',
    );
    process.exit(2);
  }
  throw error;
}
process.exitCode = await cli.main(process.argv.slice(2));
