// Every Answerline element, registered under the page's prefix (see core/define.ts).
import './call-log/define.ts'
import './call-detail/define.ts'
import './lead-inbox/define.ts'
import './agent-settings/define.ts'
import './usage-meter/define.ts'

export { prefix } from './core/define.ts'
