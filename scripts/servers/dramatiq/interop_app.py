"""Actors of the interop tests, run by a real Dramatiq 2.x against queues taskq shares.

Environment: TASKQ_INTEROP_BROKER ("redis" or "rabbitmq"), TASKQ_INTEROP_URL, and
TASKQ_INTEROP_OUT, a file each processed message is appended to as one JSON line.
"""
import json
import os

import dramatiq
from dramatiq.middleware import CurrentMessage

KIND = os.environ["TASKQ_INTEROP_BROKER"]
URL = os.environ["TASKQ_INTEROP_URL"]
OUT = os.environ["TASKQ_INTEROP_OUT"]

if KIND == "redis":
    from dramatiq.brokers.redis import RedisBroker

    broker = RedisBroker(url=URL, namespace="dramatiq")
else:
    from dramatiq.brokers.rabbitmq import RabbitmqBroker

    broker = RabbitmqBroker(url=URL)
broker.add_middleware(CurrentMessage())
dramatiq.set_broker(broker)


@dramatiq.actor(actor_name="py_record", queue_name="interop_py", max_retries=0)
def py_record(*args, **kwargs):
    message = CurrentMessage.get_current_message()
    with open(OUT, "a") as f:
        f.write(
            json.dumps(
                {
                    "args": list(args),
                    "kwargs": kwargs,
                    "message_id": message.message_id,
                    "options": message.options,
                }
            )
            + "\n"
        )


# Declared here only so that Dramatiq can send to it: taskq's worker runs it.
@dramatiq.actor(actor_name="ts_record", queue_name="interop_ts", max_retries=0)
def ts_record(*args, **kwargs):
    raise RuntimeError("taskq runs this actor, not Dramatiq")


if __name__ == "__main__":
    # `python interop_app.py send`: what a Dramatiq producer sends to taskq's actor.
    ts_record.send(1, "two", {"three": [3]})
    ts_record.send_with_options(args=("kw",), kwargs={"flag": True})
    ts_record.send_with_options(args=("delayed",), delay=300)
    broker.close()
