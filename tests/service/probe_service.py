"""A service used only by the kernel's tests: one reliable handler that applies each event once,
and fails on demand, so retries, parking and redelivery can be observed."""
from kernel.messaging import ContextProvider, OperatorRpc, StoreProvider, reliable_event_handler
from nameko.rpc import rpc


class ProbeService(OperatorRpc):
    name = "probe"
    store = StoreProvider()
    ctx = ContextProvider()

    @reliable_event_handler("probesrc", "probesrc.thing.happened.v1")
    def on_thing(self, event):
        self.store.db.attempts.update_one({"_id": event["id"]}, {"$inc": {"n": 1}}, upsert=True)
        if event["data"].get("fail"):
            raise RuntimeError("asked to fail")
        self.store.transaction(
            lambda tx: tx.db.applied.update_one({"_id": "count"}, {"$inc": {"n": 1}}, upsert=True),
            inbox_key=f"on_thing:{event['id']}")

    @rpc
    def counts(self, event_id):
        a = self.store.db.attempts.find_one({"_id": event_id}) or {}
        c = self.store.db.applied.find_one({"_id": "count"}) or {}
        return {"attempts": a.get("n", 0), "applied": c.get("n", 0)}
