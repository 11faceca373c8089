export { createMailer, type CreateMailerOptions, type MailLog, type MailMessage, type Mailer, type SentMail } from './mailer.ts'
export { DEFAULT_BRANDING, presentableBranding, renderEmail, type Branding, type EmailTemplate, type RenderedEmail, type SecurityEvent } from './templates.ts'
export { mailPlugin } from './mail.plugin.ts'
