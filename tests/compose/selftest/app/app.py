import os

import boto3
import pymysql
from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/")
def index():
    db = pymysql.connect(host="db", user=os.environ["DB_USER"], password=os.environ["DB_PASS"], database="video_db")
    with db.cursor() as cur:
        cur.execute("SELECT video_name FROM selftest_videos")
        names = [r[0] for r in cur.fetchall()]
    db.close()
    s3 = boto3.client(
        "s3", endpoint_url="http://s3:8333", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    s3.put_object(Bucket=os.environ["S3_BUCKET"], Key="x", Body=b"y")
    got = s3.get_object(Bucket=os.environ["S3_BUCKET"], Key="x")["Body"].read().decode()
    return jsonify(
        videos=names, s3=got, hello=open("hello.txt").read().strip(), hls_bytes=os.path.getsize("static/hls.min.js")
    )


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=8080)
