// The demo CRM page's own script: it gets embed tokens from its server, as a real host would, and
// hands them to the widgets (as an attribute, and as a provider the widgets call when one expires).
const BRANDS = { northwind: 'Northwind Growth', summit: 'Summit Digital' }
const widgets = () => document.querySelectorAll('answerline-usage-meter, answerline-call-log, answerline-call-detail, answerline-lead-inbox, answerline-agent-settings')

async function tokenFor(business) {
  const response = await fetch(`/demo-api/token?business=${encodeURIComponent(business)}`, { cache: 'no-store' })
  if (!response.ok) throw new Error('The demo business is not seeded')
  return response.json()
}

async function show(business) {
  const { token, businessId } = await tokenFor(business)
  for (const element of widgets()) {
    element.tokenProvider = async () => (await tokenFor(business)).token
    element.setAttribute('token', token)
    element.setAttribute('business-id', businessId)
  }
}

function setTheme(theme) {
  document.body.classList.toggle('dark', theme === 'dark')
  for (const element of widgets()) element.setAttribute('theme', theme)
}

function setLocale(locale) {
  document.documentElement.lang = locale
  for (const element of widgets()) element.setAttribute('locale', locale)
}

document.getElementById('brand').addEventListener('change', (event) => {
  const brand = event.target.value
  document.body.classList.remove('brand-northwind', 'brand-summit')
  document.body.classList.add(`brand-${brand}`)
  document.getElementById('brand-name').textContent = BRANDS[brand]
})
document.getElementById('business').addEventListener('change', (event) => void show(event.target.value))
document.getElementById('theme').addEventListener('change', (event) => setTheme(event.target.value))
document.getElementById('locale').addEventListener('change', (event) => setLocale(event.target.value))
// The call log tells the page which call was chosen; the page shows it in the detail panel.
const showCall = (event) => document.querySelector('answerline-call-detail')?.setAttribute('call-id', event.detail.callId)
document.addEventListener('al-call-select', showCall)
document.addEventListener('al-lead-open-call', showCall)

await customElements.whenDefined('answerline-call-log')
await show(document.getElementById('business').value)
