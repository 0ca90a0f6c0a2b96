// MotCuaProtocol: versioned wire messages and pure state machines for replication.
