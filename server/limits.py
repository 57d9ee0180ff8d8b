"""The relay's default limits, shared by the edge and the CLI."""

#: Commands per second a connection may send on average (token bucket rate).
DEFAULT_RATE_PER_S = 20.0
#: Commands a connection may send at once (token bucket size).
DEFAULT_BURST = 40
#: Unsent bytes a connection may lag behind before it is closed with 4008.
DEFAULT_SEND_BUFFER = 512 * 1024
#: Seconds a new connection has to send hello.
HELLO_TIMEOUT = 10.0
