// Jest sets NODE_ENV=test when it is unset. The apps these tests stand for run with
// NODE_ENV=production and say so in their options (environment: 'production'); with Jest's value
// the module would rightly warn, in every test, that NODE_ENV is overridden by the option.
process.env.NODE_ENV = 'production';
