"""moto's server, made as strict as DynamoDB where this project relies on it.

1. moto evaluates DynamoDB conditions and transactions without a lock, so two concurrent
   conditional writes to one item can both pass: DynamoDB never lets that happen, and the seq
   allocation and idempotent sends of this project rely on it. One lock around the backend
   serializes request handling.
2. moto's TransactWriteItems deep-copies every table it touches to be able to roll back, so
   each transaction costs time in proportion to everything stored. Under the lock, a
   transaction can instead check every condition first and write only when all hold, which
   is what DynamoDB promises and costs nothing extra.
3. moto's Query on a table looks at every item of the table to find one partition's, so
   each Query costs time in proportion to everything stored (half of moto's time under
   `make bench`). Here it looks at the partition only, as DynamoDB does.
4. werkzeug logs every request to stderr (an eighth of moto's time under load); errors
   still reach the log through moto's own logging.

The pinned moto (infra/requirements.txt) is the one this is written against.

Usage: python serialized_moto.py HOST PORT
"""

import signal
import sys
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
from werkzeug.serving import run_simple


def transact_write_items(self, transact_items):
    """Check every condition, then write all or nothing (requests are serialized)."""
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    operations, targets, errors = [], set(), []
    for item in transact_items:
        if len(item) != 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(item.items()))
        if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
            raise ValueError("Unsupported transaction operation")
        table_name = op["TableName"]
        if op_type == "Put":
            table = self.get_table(table_name)
            key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
            if table.range_key_attr is not None:
                key[table.range_key_attr] = op["Item"][table.range_key_attr]
        else:
            key = op["Key"]
        target = (table_name, str(sorted(key.items())))
        if target in targets:
            raise MultipleTransactionsException()
        targets.add(target)

        current = self.get_item(table_name, key)
        condition = op.get("ConditionExpression")
        if condition is not None:
            holds = get_filter_expression(
                condition,
                op.get("ExpressionAttributeNames"),
                op.get("ExpressionAttributeValues"),
            ).expr(current)
            if not holds:
                old = None
                if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                    old = current.to_json()["Attributes"]
                errors.append(("ConditionalCheckFailed", "The conditional request failed", old))
                continue
        errors.append((None, None, None))
        operations.append((op_type, op, table_name, key))

    if any(code is not None for code, _, _ in errors):
        raise TransactionCanceledException(errors)
    for op_type, op, table_name, key in operations:
        names = op.get("ExpressionAttributeNames")
        values = op.get("ExpressionAttributeValues")
        if op_type == "Put":
            self.put_item(table_name, op["Item"])
        elif op_type == "Delete":
            self.delete_item(table_name, key)
        elif op_type == "Update":
            self.update_item(
                table_name,
                key,
                update_expression=op["UpdateExpression"],
                expression_attribute_names=names,
                expression_attribute_values=values,
            )


DynamoDBBackend.transact_write_items = transact_write_items

table_query = Table.query
# Position of `index_name` among Table.query's positional arguments after `hash_key`.
INDEX_NAME_ARG = 6


def query_partition(self, hash_key, *args, **kwargs):
    """Table.query over the items of `hash_key`'s partition instead of the whole table."""
    positional = args[INDEX_NAME_ARG] if len(args) > INDEX_NAME_ARG else None
    index_name = kwargs.get("index_name", positional)
    if index_name or hash_key is None:
        return table_query(self, hash_key, *args, **kwargs)
    partition = self.items.get(hash_key)
    if partition is None:
        items = []
    elif self.range_key_attr:
        items = list(partition.values())
    else:
        items = [partition]
    # moto's query reads self.all_items(); requests are serialized, so shadowing it on this
    # table for the duration of the call is seen by nothing else.
    self.all_items = lambda: items
    try:
        return table_query(self, hash_key, *args, **kwargs)
    finally:
        del self.all_items


Table.query = query_partition


class QuietRequestHandler(MotoRequestHandler):
    def log_request(self, code="-", size="-"):
        pass

backend = DomainDispatcherApplication(create_backend_app)
lock = threading.Lock()


def serialized(environ, start_response):
    with lock:
        # The whole response is produced under the lock: the write happens while iterating.
        return [b"".join(backend(environ, start_response))]


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    run_simple(host, port, serialized, threaded=True, request_handler=QuietRequestHandler)


if __name__ == "__main__":
    main()
