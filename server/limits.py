"""The relay's default limits, shared by the edge and the CLI."""

#: Commands per second a connection may send on average (token bucket rate).
DEFAULT_RATE_PER_S = 20.0
#: Commands a connection may send at once (token bucket size).
DEFAULT_BURST = 40
#: Unsent bytes a connection may lag behind before it is closed with 4008.
DEFAULT_SEND_BUFFER = 512 * 1024
#: Seconds a new connection has to send hello.
HELLO_TIMEOUT = 10.0
#: Connections one member may hold at once; a newer one closes the oldest (4009).
MAX_CONNECTIONS_PER_MEMBER = 3
#: Connections from one address that may wait for their hello at once.
MAX_PENDING_PER_ADDRESS = 64
#: Messages the websocket layer reads ahead for one connection before it stops
#: reading its socket (each at most 4 x MAX_FRAME_BYTES).
MESSAGE_QUEUE = 16
#: Seconds between two log lines about the same recurring problem.
LOG_INTERVAL = 30.0
#: Seconds a member closed for flooding (4029) may not connect again.
FLOOD_PENALTY = 10.0
