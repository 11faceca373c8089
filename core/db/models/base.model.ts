import objection from 'objection'

/** Columns are snake_case in PostgreSQL and camelCase in code; objection maps between them. */
export class BaseModel extends objection.Model {
  static override get columnNameMappers() {
    return objection.snakeCaseMappers()
  }
}
