"""Drive an MCP server over stdio with the ``mcp`` package's own client (used by the tests and,
as source text, by the stand-in ``goose`` executable)."""

CLIENT_SOURCE = '''
import asyncio
import shlex

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


async def _session_calls(command, calls):
    argv = shlex.split(command)
    params = StdioServerParameters(command=argv[0], args=argv[1:])
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            listed = await session.list_tools()
            results = []
            for name, arguments in calls:
                result = await session.call_tool(name, arguments)
                text = "".join(getattr(c, "text", "") for c in result.content)
                error = getattr(result, "is_error", None)
                if error is None:
                    error = getattr(result, "isError", False)
                results.append((bool(error), text))
            return sorted(t.name for t in listed.tools), results


def mcp_calls(command, calls):
    """(tool names, [(is_error, text)]) from running ``calls`` [(name, args)] on the server."""
    return asyncio.run(asyncio.wait_for(_session_calls(command, calls), 120))
'''

exec(CLIENT_SOURCE)
