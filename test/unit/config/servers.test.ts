import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../../src/config/load.ts'

const parse = (text: string) => () => parseConfig(text, 'test.toml')

describe('[[servers]] in config.toml', () => {
  it('accepts a stdio server and an HTTP server', () => {
    const config = parseConfig(
      '[[servers]]\nname = "m"\ncommand = "npx"\nargs = ["-y", "x"]\nenv = { A = "1" }\n\n[[servers]]\nname = "h"\nurl = "http://127.0.0.1:3001/mcp"\nheaders = { Authorization = "Bearer t" }\n',
      'test.toml',
    )
    expect(config.servers?.map((s) => s.name)).toEqual(['m', 'h'])
  })

  it('names the problem and the field', () => {
    const cases: Array<[string, RegExp]> = [
      ['[[servers]]\nname = "x"\n', /servers\.0.*either "command".*or "url"/s],
      ['[[servers]]\nname = "x"\ncommand = "a"\nurl = "http://h/mcp"\n', /servers\.0.*not both/s],
      ['[[servers]]\nname = "x"\nurl = "http://h/mcp"\nargs = ["a"]\n', /servers\.0\.args.*stdio servers/s],
      [
        '[[servers]]\nname = "x"\ncommand = "a"\nheaders = { A = "b" }\n',
        /servers\.0\.headers.*HTTP servers/s,
      ],
      ['[[servers]]\nname = "x"\nurl = "ftp://h/mcp"\n', /servers\.0\.url.*http/s],
      ['[[servers]]\nname = "bad name"\ncommand = "a"\n', /servers\.0\.name/],
      [
        '[[servers]]\nname = "x"\ncommand = "a"\n[[servers]]\nname = "x"\ncommand = "b"\n',
        /servers\.1\.name.*duplicate server name "x"/s,
      ],
      ['[[servers]]\nname = "x"\ncommand = "a"\nenv = { A = 1 }\n', /servers\.0\.env\.A/],
      ['[[servers]]\nname = "x"\ncommand = "a"\nrestart = 3\n', /unknown field "restart"/],
    ]
    for (const [text, message] of cases) {
      expect(parse(text)).toThrow(message)
    }
  })
})
