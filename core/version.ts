import packageJson from '../package.json' with { type: 'json' }

/** The running Answerline version, as published in package.json. */
export const VERSION: string = packageJson.version
