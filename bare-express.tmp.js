const express = require('express');
const app = express();
app.use(express.json());
app.post('/v1/chat/completions', (req, res) => { res.setHeader('content-type', 'application/json'); res.end('{"ok":true}'); });
app.listen(18081, '127.0.0.1');
